package syncproto

// FieldType is the JSON type a record field must have.
type FieldType string

// Field types.
const (
	TString   FieldType = "string"
	TNumber   FieldType = "number"
	TInteger  FieldType = "integer"
	TBool     FieldType = "bool"
	TDate     FieldType = "date"     // "2006-01-02"
	TDateTime FieldType = "datetime" // RFC 3339
	TIDNumber FieldType = "id_number"
	TArray    FieldType = "array"
	TObject   FieldType = "object"
	TEnum     FieldType = "enum"
	TRef      FieldType = "ref" // a record or unit id
)

// FieldSpec describes one field of a collection.
type FieldSpec struct {
	Type FieldType `json:"type"`
	// Enum lists the allowed values of a TEnum field.
	Enum []string `json:"enum,omitempty"`
	// Max is the largest length of a string (bytes) or array (items), or the
	// largest value of a number; 0 means the default bound.
	Max float64 `json:"max,omitempty"`
	// Min is the smallest value of a number.
	Min float64 `json:"min,omitempty"`
	// Sensitive fields (ID numbers, health) are masked where shown to people
	// who do not need them.
	Sensitive bool `json:"sensitive,omitempty"`
}

// Schema is the shape of one collection.
type Schema struct {
	Required []string             `json:"required"`
	Fields   map[string]FieldSpec `json:"fields"`
	// Immutable fields may be set on create and never changed afterwards.
	Immutable []string `json:"immutable,omitempty"`
}

// Household categories (domain.md).
var Categories = []string{"tekun", "dibao", "dibao_edge", "expense", "temporary"}

// PhotoKinds are the kinds of photo a household file holds.
var PhotoKinds = []string{"house", "interior", "document", "notice", "commitment", "other"}

// Schemas describes every client-writable collection.
var Schemas = map[string]Schema{
	CollHouseholds: {
		Required: []string{"unit_id", "head_name", "head_id_number", "address"},
		Fields: map[string]FieldSpec{
			"unit_id":          {Type: TRef},
			"head_name":        {Type: TString, Max: 100},
			"head_id_number":   {Type: TIDNumber, Sensitive: true},
			"address":          {Type: TString, Max: 300},
			"hukou_type":       {Type: TEnum, Enum: []string{"rural", "urban"}},
			"category":         {Type: TEnum, Enum: Categories},
			"causes":           {Type: TArray, Max: 20},
			"contact_phone":    {Type: TString, Max: 40},
			"source":           {Type: TEnum, Enum: []string{"application", "active_discovery", "data_match"}},
			"application_date": {Type: TDate},
			"single_person":    {Type: TBool},
			"bank_account":     {Type: TString, Max: 40, Sensitive: true},
			"notes":            {Type: TString, Max: 4000},
		},
	},
	CollMembers: {
		Required: []string{"household_id", "name", "id_number", "relation"},
		Fields: map[string]FieldSpec{
			"household_id":     {Type: TRef},
			"name":             {Type: TString, Max: 100},
			"id_number":        {Type: TIDNumber, Sensitive: true},
			"relation":         {Type: TString, Max: 40},
			"birth_date":       {Type: TDate},
			"sex":              {Type: TEnum, Enum: []string{"male", "female"}},
			"health":           {Type: TString, Max: 200, Sensitive: true},
			"serious_illness":  {Type: TBool, Sensitive: true},
			"disability_type":  {Type: TString, Max: 40, Sensitive: true},
			"disability_grade": {Type: TInteger, Min: 0, Max: 4, Sensitive: true},
			"labour_capacity":  {Type: TEnum, Enum: []string{"full", "partial", "none"}},
			"employment":       {Type: TString, Max: 200},
			"school":           {Type: TString, Max: 200},
			"income_items":     {Type: TArray, Max: 100},
			"confidential":     {Type: TBool},
			"notes":            {Type: TString, Max: 4000},
		},
	},
	CollInvestigations: {
		Required: []string{"household_id"},
		Fields: map[string]FieldSpec{
			"household_id":       {Type: TRef},
			"date":               {Type: TDate},
			"location":           {Type: TString, Max: 300},
			"findings":           {Type: TString, Max: 20000},
			"income_items":       {Type: TArray, Max: 200},
			"property_items":     {Type: TArray, Max: 200},
			"expense_items":      {Type: TArray, Max: 200},
			"investigators":      {Type: TArray, Max: 10},
			"per_capita_income":  {Type: TNumber, Min: 0, Max: 1e9},
			"conclusion":         {Type: TString, Max: 4000},
			"suggested_category": {Type: TEnum, Enum: Categories},
			"photo_ids":          {Type: TArray, Max: 200},
		},
	},
	CollSignatures: {
		// A signature signs an investigation (investigation_id) or a
		// democratic review (review_id): exactly one of the two.
		Required:  []string{"key_id", "content_hash", "signature", "signed_at"},
		Immutable: []string{"investigation_id", "review_id", "key_id", "content_hash", "signature", "signed_at", "signer_id"},
		Fields: map[string]FieldSpec{
			"investigation_id": {Type: TRef},
			"review_id":        {Type: TRef},
			"key_id":           {Type: TString, Max: 64},
			"content_hash":     {Type: TString, Max: 64},
			"signature":        {Type: TString, Max: 200},
			"signed_at":        {Type: TDateTime},
			// signer_id, when sent, must name the key's owner.
			"signer_id": {Type: TRef},
			// role the signer signs in (investigator, reviewer, inspector).
			"role": {Type: TString, Max: 40},
		},
	},
	// CollReviews is the democratic review (民主评议) of a household's
	// case, recorded offline and co-signed by the responsible cadre and the
	// committee head (signatures with review_id).
	CollReviews: {
		Required:  []string{"household_id", "committee_size", "present", "votes_for", "votes_against", "date"},
		Immutable: []string{"household_id"},
		Fields: map[string]FieldSpec{
			"household_id":   {Type: TRef},
			"case_id":        {Type: TRef},
			"committee_size": {Type: TInteger, Min: 1, Max: 500},
			"present":        {Type: TInteger, Min: 0, Max: 500},
			"votes_for":      {Type: TInteger, Min: 0, Max: 500},
			"votes_against":  {Type: TInteger, Min: 0, Max: 500},
			"abstentions":    {Type: TInteger, Min: 0, Max: 500},
			"method":         {Type: TEnum, Enum: []string{"ballot", "show_of_hands"}},
			"date":           {Type: TDate},
			"location":       {Type: TString, Max: 300},
			"minutes_photo":  {Type: TString, Max: 64},
			"opinion":        {Type: TString, Max: 4000},
		},
	},
}
