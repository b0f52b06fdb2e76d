package console

import (
	"maps"

	"github.com/ruhu-org/ruhu/syncproto"
)

// Chinese labels of the identifiers the console shows. An identifier
// without a label is shown as it is.

var roleLabels = map[string]string{
	syncproto.RoleVillageWorker:    "村干部（调查员）",
	syncproto.RoleVillageCommittee: "民主评议委员会",
	syncproto.RoleTownshipReviewer: "乡镇审核员",
	syncproto.RoleCountyApprover:   "县级审批员",
	syncproto.RoleInspector:        "督察组",
	syncproto.RoleAdmin:            "系统管理员",
}

// categoryLabels are the categories' names, and a blank one's.
var categoryLabels = func() map[string]string {
	m := maps.Clone(syncproto.CategoryTitles)
	m[""] = "未填写"
	return m
}()

var photoKindLabels = map[string]string{
	"house": "住房", "interior": "室内", "document": "证件材料", "notice": "公示", "commitment": "承诺书", "other": "其他",
}

var flagLabels = map[string]string{
	syncproto.PhotoFlagFarFromVillage: "拍摄地点距村过远",
	"off_investigation_date":          "拍摄日期与调查日期不符",
	"no_position":                     "无拍摄位置",
	"no_capture_time":                 "无拍摄时间",
}

var conflictKindLabels = map[string]string{
	syncproto.KindField:                 "同一字段被两处修改",
	syncproto.KindDeleteEdit:            "删除与修改冲突",
	syncproto.KindPersonInTwoHouseholds: "同一人在两户（拆户拼户）",
	syncproto.KindDuplicateHousehold:    "重复登记的户",
	syncproto.KindSignedContentLocked:   "已提交内容被修改",
	syncproto.KindDuplicateMember:       "同户重复成员",
}

var collectionLabels = map[string]string{
	syncproto.CollHouseholds:     "户",
	syncproto.CollMembers:        "家庭成员",
	syncproto.CollInvestigations: "入户调查表",
	syncproto.CollSignatures:     "签名",
	syncproto.CollPhotos:         "照片",
	syncproto.CollCases:          "案件",
	syncproto.CollReviews:        "民主评议",
	syncproto.CollDraws:          "抽查",
}

var actionLabels = map[string]string{
	"record.upsert":        "保存",
	"record.delete":        "删除",
	"conflict.create":      "产生冲突",
	"conflict.resolve":     "解决冲突",
	"photo.add":            "上传照片",
	"investigation.submit": "提交调查表",
	"household.view":       "查阅户档（含完整身份证号）",
	"photo.reflag":         "照片核验标记更新",
	"draw.create":          "入户核查抽取",
	"policy.add":           "新增政策版本",
}

var fieldLabels = map[string]string{
	"unit_id": "所属村", "head_name": "户主姓名", "head_id_number": "户主身份证号", "address": "住址",
	"hukou_type": "户籍类型", "category": "申请类别", "causes": "致贫原因", "contact_phone": "联系电话",
	"source": "来源", "application_date": "申请日期", "single_person": "单人户", "bank_account": "银行账号",
	"notes": "备注", "household_id": "户", "name": "姓名", "id_number": "身份证号", "relation": "与户主关系",
	"birth_date": "出生日期", "sex": "性别", "health": "健康状况", "serious_illness": "重病",
	"disability_type": "残疾类别", "disability_grade": "残疾等级", "labour_capacity": "劳动能力",
	"employment": "就业情况", "school": "就学情况", "income_items": "收入", "confidential": "信息保密",
	"date": "调查日期", "location": "调查地点", "findings": "调查情况", "property_items": "家庭财产",
	"expense_items": "刚性支出", "investigators": "调查人", "per_capita_income": "人均收入（申报）",
	"conclusion": "调查结论", "suggested_category": "建议类别", "photo_ids": "照片",
}

func fieldLabel(f string) string { return label(fieldLabels, f) }

var errorHeadings = map[string]string{
	syncproto.CodeNotFound:         "未找到（或不在您的辖区内）",
	syncproto.CodeForbidden:        "无权访问",
	syncproto.CodeOutOfScope:       "不在您的辖区内",
	syncproto.CodeValidation:       "填写有误",
	syncproto.CodeConflictResolved: "该冲突已被处理",
	syncproto.CodeInvalidChoice:    "处理方式无效",
	syncproto.CodeRateLimited:      "尝试次数过多，请稍后再试",
}

var regimeLabels = map[string]string{
	"dibao": "低保补差", "single_person": "单人户施保", "gradual_exit": "低保渐退", "ineligible": "不符合条件", "not_computed": "未计算",
}

var reasonLabels = map[string]string{
	"income_at_or_above_standard": "人均收入不低于保障标准",
	"income_above_exit_ceiling":   "人均收入超过渐退上限",
	"exit_period_ended":           "渐退期已满",
	"category_not_covered":        "该类别不按补差计算",
	"invalid_policy":              "政策参数有误",
	"invalid_household":           "家庭数据不完整或有误",
}

var itemKeyLabels = map[string]string{
	"member_id": "成员", "type": "类型", "amount": "金额（元/月）", "exempt": "豁免", "unverified": "未查实",
	"name": "名称", "value": "价值", "kind": "种类", "note": "说明",
}

var itemValueLabels = map[string]string{
	"wage": "工资性收入", "business": "经营性收入", "property": "财产性收入", "transfer": "转移性收入",
	"basic_pension": "基础养老金", "poverty_dividend": "扶贫项目保底收益", "survivor_pension": "抚恤金",
	"preferential_allowance": "优待金", "disability_living_allowance": "困难残疾人生活补贴",
	"disability_care_allowance": "重度残疾人护理补贴", "medical": "自负医疗费用", "education": "教育支出",
	"care": "照护支出", "disaster": "大灾、重大意外", "是": "是", "否": "否",
}

var stateLabels = map[string]string{
	syncproto.StateInvestigating:  "入户调查中",
	syncproto.StateVillageReview:  "村级民主评议",
	syncproto.StateVillageNotice:  "村级公示",
	syncproto.StateTownshipReview: "乡镇审核",
	syncproto.StateTownshipNotice: "乡镇公示",
	syncproto.StateCountyReview:   "县级审批",
	syncproto.StateCountyNotice:   "县级公示",
	syncproto.StateApproved:       "已批准（在保）",
	syncproto.StateRejected:       "不予批准",
	syncproto.StateReturned:       "退回重新调查",
	syncproto.StateRecheck:        "复核中",
	syncproto.StateExiting:        "渐退中",
	syncproto.StateClosed:         "已终止",
}

var actionNames = map[string]string{
	"create":                         "立案",
	syncproto.ActSubmitInvestigation: "提交入户调查",
	syncproto.ActOpenVillageNotice:   "开始村级公示",
	syncproto.ActCloseNotice:         "公示期满，进入下一环节",
	syncproto.ActTownshipApprove:     "乡镇审核通过",
	syncproto.ActCountyApprove:       "县级审批通过",
	syncproto.ActReturn:              "退回重新调查",
	syncproto.ActReject:              "不予批准",
	syncproto.ActStartRecheck:        "启动复核",
	syncproto.ActConfirm:             "复核确认",
	syncproto.ActStartExit:           "启动渐退",
	syncproto.ActClose:               "终止救助",
	"object":                         "记录异议",
	"objection":                      "记录异议",
	"draw":                           "抽中核查",
}

var stageLabels = map[string]string{
	"village": "村级", "township": "乡镇", "county": "县级",
}

func init() {
	for code, heading := range map[string]string{
		syncproto.CodeInvalidTransition:     "当前状态下不能进行此操作",
		syncproto.CodeReasonRequired:        "请填写理由",
		syncproto.CodeInvestigationRequired: "需先提交新的入户调查表",
		syncproto.CodeReviewMissing:         "缺少民主评议记录",
		syncproto.CodeReviewNotSigned:       "民主评议尚未会签",
		syncproto.CodeReviewNoQuorum:        "民主评议到会人数未过半",
		syncproto.CodeReviewNotPassed:       "民主评议未通过",
		syncproto.CodeNoticePeriodRunning:   "公示期未满",
		syncproto.CodeNotInNotice:           "案件不在公示期",
		syncproto.CodeDrawRequired:          "须先抽取入户核查名单",
		syncproto.CodeRevisitRequired:       "抽中的户须先完成乡镇入户核查",
		syncproto.CodeSpotCheckRequired:     "抽中的户须先完成县级抽查",
		syncproto.CodeNothingToDraw:         "没有待抽查的案件",
		syncproto.CodeStaleCase:             "案件已被他人更新，请刷新后重试",
		syncproto.CodeInvalidPolicy:         "政策参数不可用",
		syncproto.CodeBenefitNotPayable:     "复核后已无应发救助金",
		syncproto.CodeCaseNotApproved:       "案件尚未批准",
		syncproto.CodeExitNotApplicable:     "不适用渐退",
		syncproto.CodeConflictOfInterest:    "利益冲突：您与该户有关联",
		syncproto.CodeInvalidField:          "填写有误",
		syncproto.CodeInvalidUnit:           "单位无效",
		syncproto.CodeCaseAlreadyOpen:       "该户已有在办案件",
	} {
		errorHeadings[code] = heading
	}
}

var signatureRoleLabels = map[string]string{
	"investigator": "调查人", "reviewer": "审核人", "inspector": "督察人", "committee": "评议委员会", "": "调查人",
}

// codeLabels name the codes a push is refused with.
var codeLabels = map[string]string{
	syncproto.CodeInvalidIDNumber:      "身份证号码无效",
	syncproto.CodeOutOfScope:           "不在辖区内",
	syncproto.CodeInvalidField:         "字段填写有误",
	syncproto.CodeValidation:           "填写有误",
	syncproto.CodeForbidden:            "无权修改",
	syncproto.CodeInvalidUnit:          "所属村无效",
	syncproto.CodeUnknownHousehold:     "户不存在",
	syncproto.CodeUnknownInvestigation: "调查表不存在",
	syncproto.CodeUnknownKey:           "签名密钥未登记或已吊销",
	syncproto.CodeBadSignature:         "签名无法验证",
	syncproto.CodeStaleContent:         "签名内容已过期",
	syncproto.CodeSignerNotEligible:    "签名人无资格",
	syncproto.CodeConflictOfInterest:   "签名人与该户有利益关系",
	syncproto.CodeDuplicateSignature:   "重复签名",
	syncproto.CodeAlreadySubmitted:     "调查表已提交",
	syncproto.CodeSignedContentLocked:  "已提交内容不可修改",
}
