// Package storetest is the conformance suite every ruhu store passes: the
// sync rules, signatures, conflicts, photos records, identity, sessions and
// the audit chain, checked through a real in-process server (ruhutest) over
// HTTP and the domain's service interfaces.
//
// A store's test runs it with a constructor of fresh environments:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t testing.TB) *ruhutest.Env { return ruhutest.New(t) })
//	}
//
// The suite runs no SQL itself: what HTTP does not show (the audit log, the
// scope a record is filed under, a county setting) is read through the few
// functions of hooks.go.
package storetest

import (
	"context"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
)

// NewEnv starts a server on a fresh demo county (ruhutest.New's county:
// 2 townships × 3 villages, a user of every role) for one test.
type NewEnv func(t testing.TB) *ruhutest.Env

// suite lists every test of the suite, by theme, in one place.
var suite = []struct {
	name string
	fn   func(t *testing.T, newEnv NewEnv)
}{
	// The case procedure (cases.go).
	{"CaseProcedureEndToEnd", testCaseProcedureEndToEnd},
	{"CaseTransitionMatrix", testCaseTransitionMatrix},
	{"CaseConflictOfInterest", testCaseConflictOfInterest},
	{"CaseDrawIsReproducible", testCaseDrawIsReproducible},
	{"CaseNoticeMasking", testCaseNoticeMasking},
	{"SensitiveFieldsMaskedPerRole", testSensitiveFieldsMaskedPerRole},
	{"CaseRecheckExitAndPolicy", testCaseRecheckExitAndPolicy},

	// Push: replay, counters, rejections (sync_push.go, sync_reject.go).
	{"PushReplayReturnsIdenticalResults", testPushReplayReturnsIdenticalResults},
	{"MutationIDsMustIncrease", testMutationIDsMustIncrease},
	{"PushDeviceMismatch", testPushDeviceMismatch},
	{"RejectedMutationAdvancesCounter", testRejectedMutationAdvancesCounter},
	{"BatchWithRejectedMutationsAppliesTheOthers", testBatchWithRejectedMutationsAppliesTheOthers},
	{"RequiredFieldCannotBeCleared", testRequiredFieldCannotBeCleared},
	{"RejectionKeepsPayloadAsSent", testRejectionKeepsPayloadAsSent},

	// Merge and conflicts of one record (sync_merge.go).
	{"TwoDevicesEditingDifferentFieldsMerge", testTwoDevicesEditingDifferentFieldsMerge},
	{"SameFieldConflictKeepsBothValues", testSameFieldConflictKeepsBothValues},
	{"DeleteOfEditedRecordConflicts", testDeleteOfEditedRecordConflicts},
	{"EditOfDeletedRecordConflicts", testEditOfDeletedRecordConflicts},

	// Duplicates and people (duplicates.go, people.go).
	{"DuplicateHouseholdIsRemapped", testDuplicateHouseholdIsRemapped},
	{"DuplicateWithNullFieldsIsNoConflict", testDuplicateWithNullFieldsIsNoConflict},
	{"HeadChangeToAnotherHeadIsDuplicateHousehold", testHeadChangeToAnotherHeadIsDuplicateHousehold},
	{"PersonInTwoHouseholds", testPersonInTwoHouseholds},
	{"ForeignHouseholdIsNotNamedInConflicts", testForeignHouseholdIsNotNamedInConflicts},
	{"MoveMemberThroughItsAlias", testMoveMemberThroughItsAlias},
	{"RevivedHouseholdKeepsOnePersonInOneHousehold", testRevivedHouseholdKeepsOnePersonInOneHousehold},

	// Scope and roles (scope.go).
	{"ScopeLimitsReadsAndWrites", testScopeLimitsReadsAndWrites},
	{"WriteRolesPerCollection", testWriteRolesPerCollection},
	{"VillageWithDotInIDHoldsHouseholds", testVillageWithDotInIDHoldsHouseholds},
	{"ConflictingUnitDoesNotMoveHousehold", testConflictingUnitDoesNotMoveHousehold},
	{"ConflictingHouseholdDoesNotMoveMember", testConflictingHouseholdDoesNotMoveMember},

	// Pull (sync_pull.go).
	{"PullRejectsInvalidCursor", testPullRejectsInvalidCursor},
	{"PullPagination", testPullPagination},

	// Moves between villages (moves.go, move_conflicts.go).
	{"HouseholdMoveSendsTombstonesToTheOldVillage", testHouseholdMoveSendsTombstonesToTheOldVillage},
	{"HouseholdMovedTwiceGivesOneTombstone", testHouseholdMovedTwiceGivesOneTombstone},
	{"MemberMovedToAnotherVillageLeavesScope", testMemberMovedToAnotherVillageLeavesScope},
	{"InvestigationMovedWithItsSignatures", testInvestigationMovedWithItsSignatures},
	{"ConflictsFollowAMovedHousehold", testConflictsFollowAMovedHousehold},
	{"ConflictsFollowAMovedMember", testConflictsFollowAMovedMember},
	{"ConflictOfUncreatedMemberFollowsItsHousehold", testConflictOfUncreatedMemberFollowsItsHousehold},

	// Random pushes (property.go, invariants.go).
	{"PushBatchingDoesNotChangeTheOutcome", testPushBatchingDoesNotChangeTheOutcome},
	{"StoredScopeMatchesFields", testStoredScopeMatchesFields},

	// Dual signatures, submission, signing keys (signatures.go,
	// signature_rules.go, submit.go, keys.go).
	{"TwoValidSignersSatisfy", testTwoValidSignersSatisfy},
	{"SignatureRejections", testSignatureRejections},
	{"EditAfterSigningMakesSignaturesStale", testEditAfterSigningMakesSignaturesStale},
	{"SubmitNeedsTwoSignersAndLocks", testSubmitNeedsTwoSignersAndLocks},
	{"OfflineSigningInOneBatch", testOfflineSigningInOneBatch},
	{"SmallOrderKeysAreRefused", testSmallOrderKeysAreRefused},

	// Photo records (photos.go).
	{"PhotoRecordIsSyncedAndScoped", testPhotoRecordIsSyncedAndScoped},
	{"PhotoFollowsMergedAndMovedHousehold", testPhotoFollowsMergedAndMovedHousehold},
	// One picture, several filings (photo_filings.go).
	{"PhotoFiledUnderTwoHouseholds", testPhotoFiledUnderTwoHouseholds},
	{"PhotoMissingIsScopedToTheCaller", testPhotoMissingIsScopedToTheCaller},
	// Village positions and evidence flags (photo_evidence.go).
	{"AdminSetsVillagePosition", testAdminSetsVillagePosition},
	{"PhotoEvidenceFlags", testPhotoEvidenceFlags},
	{"PhotoFlagsFollowInvestigationDates", testPhotoFlagsFollowInvestigationDates},

	// Units, users, relatives, sessions, audit (identity.go, auth.go).
	{"SubtreeDoesNotMatchPrefixSiblings", testSubtreeDoesNotMatchPrefixSiblings},
	{"CreateUserStoresAndMasks", testCreateUserStoresAndMasks},
	{"CreateUserValidation", testCreateUserValidation},
	{"RefreshRotation", testRefreshRotation},
	{"ConcurrentRotationOfOneToken", testConcurrentRotationOfOneToken},
	{"AuditConcurrentAppends", testAuditConcurrentAppends},

	// Hardening (issue 13): push budget, cheap checks first, rules
	// re-checked at submit, the lock, least privilege, bounded input
	// (hardening_*.go).
	{"PushStopsAtItsBudget", testPushStopsAtItsBudget},
	{"DuplicateSignatureIsCheckedFirst", testDuplicateSignatureIsCheckedFirst},
	{"RelativeIDNumbers", testRelativeIDNumbers},
	{"SubmitRechecksSigners", testSubmitRechecksSigners},
	{"SubmittedRecordIsLocked", testSubmittedRecordIsLocked},
	{"InspectorEditsOnlyOwnInvestigations", testInspectorEditsOnlyOwnInvestigations},
	{"DeviceIDIsAPlainToken", testDeviceIDIsAPlainToken},

	// Console reads (console.go).
	{"ConsoleReadsAreScoped", testConsoleReadsAreScoped},
	{"RejectedPayloadQuota", testRejectedPayloadQuota},
	{"ReadOnlyRoleKeepsNoPayload", testReadOnlyRoleKeepsNoPayload},
	{"RejectionsArePaged", testRejectionsArePaged},
	{"ResolutionHonoursTheLock", testResolutionHonoursTheLock},
}

// Run runs every suite test as a parallel subtest of t; newEnv gives each
// test (and some subtests) its own server on a fresh demo county. When a
// test ends, its county's audit chain must verify and agree with every
// record, at every step of each record's history (engine.CheckAudit):
// whatever the test did, each write was audited as it happened.
func Run(t *testing.T, newEnv NewEnv) {
	checked := func(t testing.TB) *ruhutest.Env {
		env := newEnv(t)
		t.Cleanup(func() {
			v, err := env.App.Engine.CheckAudit(context.Background(), nil)
			if err != nil || v.Break != nil {
				t.Errorf("at the end of the test, the audit check fails: %+v, %v", v.Break, err)
			}
		})
		return env
	}
	for _, tc := range suite {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, checked)
		})
	}
}
