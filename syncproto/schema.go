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
	// Title is the field's label as shown to people (Chinese).
	Title string `json:"title,omitempty"`
	// Enum lists the allowed values of a TEnum field.
	Enum []string `json:"enum,omitempty"`
	// Max is the largest length of a string (characters) or array (items),
	// or the largest value of a number; 0 means the default bound.
	Max float64 `json:"max,omitempty"`
	// Min is the smallest value of a number.
	Min float64 `json:"min,omitempty"`
	// Sensitive fields (ID numbers, health) are masked where shown to people
	// who do not need them.
	Sensitive bool `json:"sensitive,omitempty"`
	// Extra marks a field the county defined (ExtraField), not built in.
	Extra bool `json:"extra,omitempty"`
}

// Schema is the shape of one collection.
type Schema struct {
	// Title is the collection's name as shown to people (Chinese).
	Title    string               `json:"title,omitempty"`
	Required []string             `json:"required"`
	Fields   map[string]FieldSpec `json:"fields"`
	// Immutable fields may be set on create and never changed afterwards.
	Immutable []string `json:"immutable,omitempty"`
	// ReadOnly collections are written by the server only (pulled, never
	// pushed): a push is refused as unknown_collection.
	ReadOnly bool `json:"read_only,omitempty"`
}

// Household categories (domain.md).
var Categories = []string{"tekun", "dibao", "dibao_edge", "expense", "temporary"}

// CategoryTitles are the categories' names as shown to people.
var CategoryTitles = map[string]string{"tekun": "特困人员", "dibao": "低保", "dibao_edge": "低保边缘",
	"expense": "支出型困难", "temporary": "临时救助"}

// PhotoKinds are the kinds of photo a household file holds.
var PhotoKinds = []string{"house", "interior", "document", "notice", "commitment", "other"}

// Schemas describes every collection clients pull and (unless ReadOnly)
// push: the built-in fields.
// A county may add fields of its own (ExtraField); SchemaSetWith gives the
// schemas a county's records are checked against. Adding a collection is
// adding an entry here.
var Schemas = map[string]Schema{
	CollHouseholds: {
		Title:    "家庭",
		Required: []string{"unit_id", "head_name", "head_id_number", "address"},
		Fields: map[string]FieldSpec{
			"unit_id":          {Type: TRef, Title: "所属村（社区）"},
			"head_name":        {Type: TString, Max: 100, Title: "户主姓名"},
			"head_id_number":   {Type: TIDNumber, Sensitive: true, Title: "户主身份证号"},
			"address":          {Type: TString, Max: 300, Title: "家庭住址"},
			"hukou_type":       {Type: TEnum, Enum: []string{"rural", "urban"}, Title: "户籍类型"},
			"category":         {Type: TEnum, Enum: Categories, Title: "救助类别"},
			"causes":           {Type: TArray, Max: 20, Title: "致困原因"},
			"contact_phone":    {Type: TString, Max: 40, Title: "联系电话"},
			"source":           {Type: TEnum, Enum: []string{"application", "active_discovery", "data_match"}, Title: "来源"},
			"application_date": {Type: TDate, Title: "申请日期"},
			"single_person":    {Type: TBool, Title: "单人户"},
			"bank_account":     {Type: TString, Max: 40, Sensitive: true, Title: "银行账号"},
			"notes":            {Type: TString, Max: 4000, Title: "备注"},
		},
	},
	CollMembers: {
		Title:    "家庭成员",
		Required: []string{"household_id", "name", "id_number", "relation"},
		Fields: map[string]FieldSpec{
			"household_id":     {Type: TRef, Title: "所属家庭"},
			"name":             {Type: TString, Max: 100, Title: "姓名"},
			"id_number":        {Type: TIDNumber, Sensitive: true, Title: "身份证号"},
			"relation":         {Type: TString, Max: 40, Title: "与户主关系"},
			"birth_date":       {Type: TDate, Title: "出生日期"},
			"sex":              {Type: TEnum, Enum: []string{"male", "female"}, Title: "性别"},
			"health":           {Type: TString, Max: 200, Sensitive: true, Title: "健康状况"},
			"serious_illness":  {Type: TBool, Sensitive: true, Title: "患重病"},
			"disability_type":  {Type: TString, Max: 40, Sensitive: true, Title: "残疾类别"},
			"disability_grade": {Type: TInteger, Min: 0, Max: 4, Sensitive: true, Title: "残疾等级"},
			"labour_capacity":  {Type: TEnum, Enum: []string{"full", "partial", "none"}, Title: "劳动能力"},
			"employment":       {Type: TString, Max: 200, Title: "就业状况"},
			"school":           {Type: TString, Max: 200, Title: "就学情况"},
			"income_items":     {Type: TArray, Max: 100, Title: "收入明细"},
			"confidential":     {Type: TBool, Title: "保密"},
			"notes":            {Type: TString, Max: 4000, Title: "备注"},
		},
	},
	CollInvestigations: {
		Title:    "入户调查",
		Required: []string{"household_id"},
		Fields: map[string]FieldSpec{
			"household_id":       {Type: TRef, Title: "所属家庭"},
			"date":               {Type: TDate, Title: "调查日期"},
			"location":           {Type: TString, Max: 300, Title: "调查地点"},
			"findings":           {Type: TString, Max: 20000, Title: "调查情况"},
			"income_items":       {Type: TArray, Max: 200, Title: "收入明细"},
			"property_items":     {Type: TArray, Max: 200, Title: "财产明细"},
			"expense_items":      {Type: TArray, Max: 200, Title: "支出明细"},
			"investigators":      {Type: TArray, Max: 10, Title: "调查人员"},
			"per_capita_income":  {Type: TNumber, Min: 0, Max: 1e9, Title: "家庭人均收入"},
			"conclusion":         {Type: TString, Max: 4000, Title: "调查结论"},
			"suggested_category": {Type: TEnum, Enum: Categories, Title: "建议救助类别"},
			"photo_ids":          {Type: TArray, Max: 200, Title: "照片"},
		},
	},
	CollSignatures: {
		Title: "签名",
		// A signature signs an investigation (investigation_id) or a
		// democratic review (review_id): exactly one of the two.
		Required:  []string{"key_id", "content_hash", "signature", "signed_at"},
		Immutable: []string{"investigation_id", "review_id", "key_id", "content_hash", "signature", "signed_at", "signer_id"},
		Fields: map[string]FieldSpec{
			"investigation_id": {Type: TRef, Title: "入户调查"},
			"review_id":        {Type: TRef, Title: "民主评议"},
			"key_id":           {Type: TString, Max: 64, Title: "签名密钥"},
			"content_hash":     {Type: TString, Max: 64, Title: "内容摘要"},
			"signature":        {Type: TString, Max: 200, Title: "签名值"},
			"signed_at":        {Type: TDateTime, Title: "签名时间"},
			// signer_id, when sent, must name the key's owner.
			"signer_id": {Type: TRef, Title: "签名人"},
			// role the signer signs in (investigator, reviewer, inspector).
			"role": {Type: TString, Max: 40, Title: "签名身份"},
		},
	},
	// CollReviews is the democratic review (民主评议) of a household's
	// case, recorded offline and co-signed by the responsible cadre and the
	// committee head (signatures with review_id).
	CollReviews: {
		Title:     "民主评议",
		Required:  []string{"household_id", "committee_size", "present", "votes_for", "votes_against", "date"},
		Immutable: []string{"household_id"},
		Fields: map[string]FieldSpec{
			"household_id":   {Type: TRef, Title: "户"},
			"case_id":        {Type: TRef, Title: "案件"},
			"committee_size": {Type: TInteger, Min: 1, Max: 500, Title: "评议委员人数"},
			"present":        {Type: TInteger, Min: 0, Max: 500, Title: "到会人数"},
			"votes_for":      {Type: TInteger, Min: 0, Max: 500, Title: "赞成票"},
			"votes_against":  {Type: TInteger, Min: 0, Max: 500, Title: "反对票"},
			"abstentions":    {Type: TInteger, Min: 0, Max: 500, Title: "弃权票"},
			"method":         {Type: TEnum, Enum: []string{"ballot", "show_of_hands"}, Title: "表决方式"},
			"date":           {Type: TDate, Title: "评议日期"},
			"location":       {Type: TString, Max: 300, Title: "评议地点"},
			"minutes_photo":  {Type: TString, Max: 64, Title: "会议记录照片"},
			"opinion":        {Type: TString, Max: 4000, Title: "评议意见"},
		},
	},
	// CollCases are the households' cases through the procedure
	// (docs/procedure.md), written by the server through /v1/cases.
	CollCases: {
		Title: "案件", ReadOnly: true, Required: []string{},
		Fields: map[string]FieldSpec{
			"number":       {Type: TString, Title: "案件编号"},
			"household_id": {Type: TRef, Title: "户"},
			"category":     {Type: TEnum, Enum: Categories, Title: "救助类别"},
			"kind":         {Type: TEnum, Enum: CaseKinds, Title: "来源"},
			"state":        {Type: TEnum, Enum: CaseStates, Title: "状态"},
			"state_since":  {Type: TDateTime, Title: "进入状态时间"},
			"reason":       {Type: TString, Title: "退回、不予批准或终止的理由"},
			"notice":       {Type: TObject, Title: "公示"},
			"benefit":      {Type: TObject, Title: "保障金额及计算"},
			"objections":   {Type: TArray, Title: "异议"},
			"history":      {Type: TArray, Title: "办理经过"},
		},
	},
	// CollDraws are the re-visit and spot-check draws (/v1/draws), filed
	// under their township or county.
	CollDraws: {
		Title: "抽查", ReadOnly: true, Required: []string{},
		Fields: map[string]FieldSpec{
			"unit_id":    {Type: TRef, Title: "抽查单位"},
			"stage":      {Type: TEnum, Enum: []string{DrawTownship, DrawCounty}, Title: "环节"},
			"seed":       {Type: TString, Title: "随机种子"},
			"candidates": {Type: TArray, Title: "候选案件"},
			"selected":   {Type: TArray, Title: "抽中案件"},
		},
	},
}
