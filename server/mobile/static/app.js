// The village cadre's H5 page (/m/), built on the light client (ruhu.js,
// global Ruhu). Everything a cadre enters is validated against the served
// schema and kept on the phone (IndexedDB) until a sync reaches the server.
(function () {
  "use strict";
  var R = window.Ruhu;
  var app = document.getElementById("app");
  var net = document.getElementById("net");
  var syncBtn = document.getElementById("syncBtn");

  // ---- storage: IndexedDB (room for photos), else localStorage ----
  function idbStorage() {
    if (!window.indexedDB) return window.localStorage;
    var dbp = new Promise(function (resolve, reject) {
      var req = indexedDB.open("ruhu-m", 1);
      req.onupgradeneeded = function () { req.result.createObjectStore("kv"); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
    function run(mode, fn) {
      return dbp.then(function (db) {
        return new Promise(function (resolve, reject) {
          var tx = db.transaction("kv", mode);
          var r = fn(tx.objectStore("kv"));
          tx.oncomplete = function () { resolve(r.result); };
          tx.onerror = tx.onabort = function () { reject(tx.error); };
        });
      });
    }
    return {
      getItem: function (k) { return run("readonly", function (s) { return s.get(k); }).then(function (v) { return v === undefined ? null : v; }); },
      setItem: function (k, v) { return run("readwrite", function (s) { return s.put(v, k); }); },
      removeItem: function (k) { return run("readwrite", function (s) { return s.delete(k); }); },
    };
  }

  var client = new R.RuhuClient({ baseUrl: "", storage: idbStorage(), namespace: "ruhu-m", tus: window.tus });

  // ---- words ----
  var MSG = {
    invalid_id_number: "身份证号无效（18位，末位为校验码）",
    missing_field: "必填",
    invalid_field: "格式、长度或取值不符",
    unknown_field: "不支持的字段",
    invalid_record_id: "记录编号无效",
    invalid_credentials: "用户名或密码错误",
    rate_limited: "尝试次数过多，请稍后再试",
    unreachable: "无法连接服务器",
    relogin_required: "登录已过期，请重新登录",
    not_logged_in: "请先登录",
    out_of_scope: "超出本村范围",
    duplicate_household: "该户主已登记在另一户",
    person_in_two_households: "此人已是另一户的成员",
    not_an_image: "不是照片（仅支持 JPEG、PNG）",
  };
  var ENUM = {
    tekun: "特困", dibao: "低保", dibao_edge: "低保边缘", expense: "支出型困难", temporary: "临时救助",
    rural: "农村", urban: "城镇", male: "男", female: "女", full: "完全", partial: "部分", none: "无",
    application: "申请", active_discovery: "主动发现", data_match: "数据比对",
    house: "房屋外观", interior: "室内", document: "证件材料", notice: "公示", commitment: "承诺书", other: "其他",
  };
  var FORMS = {
    households: ["head_name", "head_id_number", "address", "category", "hukou_type", "contact_phone"],
    members: ["name", "id_number", "relation", "sex", "birth_date", "labour_capacity"],
  };
  function msg(code) { return MSG[code] || code; }

  // ---- DOM ----
  function h(tag, attrs) {
    var el = document.createElement(tag);
    for (var k in attrs || {}) {
      var v = attrs[k];
      if (v == null || v === false) continue;
      if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
      else if (k === "text") el.textContent = v;
      else el.setAttribute(k, v === true ? "" : v);
    }
    (function add(c) {
      if (c == null || c === false) return;
      if (Array.isArray(c)) c.forEach(add);
      else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    })(Array.prototype.slice.call(arguments, 2));
    return el;
  }
  function screen() {
    var kids = [];
    for (var i = 0; i < arguments.length; i++) kids = kids.concat(arguments[i]);
    app.replaceChildren.apply(app, kids.filter(function (k) { return k != null; }));
    window.scrollTo(0, 0);
  }
  var toastTimer;
  function toast(text) {
    var t = document.getElementById("toast");
    t.replaceChildren(h("span", { text: text }));
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { t.replaceChildren(); }, 3500);
  }
  function mask(s) { return typeof s === "string" && s.length > 10 ? s.slice(0, 6) + "********" + s.slice(-4) : s; }

  // ---- status bar and sync ----
  var online = navigator.onLine, syncing = false;
  async function status() {
    var box = await client.outbox(), photos = (await client.photos()).filter(function (p) { return p.status === "queued"; });
    var n = box.length + photos.length;
    net.textContent = (online ? "在线" : "离线") + (n ? " · 待同步 " + n : " · 已同步");
    net.className = "pill" + (online ? "" : " off");
    net.setAttribute("data-pending", String(n));
    syncBtn.hidden = !(await client.loggedIn());
  }
  async function sync(quiet) {
    if (syncing) return;
    syncing = true;
    syncBtn.disabled = true;
    try {
      var rep = await client.sync();
      online = true;
      var txt = "已同步：上传 " + rep.pushed + " 条" + (rep.photosUploaded ? "、照片 " + rep.photosUploaded + " 张" : "") + "，更新 " + rep.pulled + " 条";
      if (rep.conflicts) txt += "；" + rep.conflicts + " 处冲突待处理";
      if (rep.rejected.length) txt += "；" + rep.rejected.length + " 条被退回（" + msg(rep.rejected[0].code) + "）";
      if (!quiet || rep.pushed || rep.rejected.length) toast(txt);
    } catch (e) {
      if (e.code === "unreachable") { online = false; if (!quiet) toast("离线：修改已保存在本机，联网后自动同步"); }
      else if (e.code === "relogin_required") { toast(msg(e.code)); location.hash = "#/login"; }
      else toast("同步失败：" + msg(e.code || String(e)));
    } finally {
      syncing = false;
      syncBtn.disabled = false;
      await status();
      // Lists and details show what the sync brought; a form being filled in stays as it is.
      if (!/^#\/(new|login)$|\/member$/.test(location.hash)) route();
    }
  }
  syncBtn.addEventListener("click", function () { sync(false); });
  window.addEventListener("online", function () { online = true; status(); sync(true); });
  window.addEventListener("offline", function () { online = false; status(); });
  setInterval(function () { if (online && document.visibilityState === "visible") sync(true); }, 120000);

  // ---- screens ----
  function loginScreen() {
    var err = h("p", { class: "err", id: "loginErr" });
    var u = h("input", { id: "username", autocomplete: "username", autocapitalize: "off", required: true });
    var p = h("input", { id: "password", type: "password", autocomplete: "current-password", required: true });
    var btn = h("button", { class: "primary", type: "submit", id: "loginBtn", text: "登录" });
    screen(h("form", { class: "card", onsubmit: async function (ev) {
      ev.preventDefault();
      btn.disabled = true;
      err.textContent = "";
      try {
        await client.login(u.value.trim(), p.value);
        location.hash = "#/list";
        await sync(true);
      } catch (e) {
        err.textContent = msg(e.code || String(e));
      } finally {
        btn.disabled = false;
      }
    } }, h("h2", { text: "村级入户调查 · 登录" }), h("label", { for: "username", text: "用户名" }), u,
      h("label", { for: "password", text: "密码" }), p, err, btn,
      h("p", { class: "muted", text: "登录后，本村家庭资料保存在本机，离线也可以登记家庭、成员和照片。" })));
  }

  // The case procedure's states (docs/procedure.md), as the village reads them.
  var CASE_STATES = {
    investigating: ["入户调查中", "wait"], village_review: ["待民主评议", "wait"], village_notice: ["村级公示中", ""],
    township_review: ["乡镇审核中", ""], township_notice: ["乡镇公示中", ""], county_review: ["县级审批中", ""],
    county_notice: ["县级公示中", ""], approved: ["已批准", "done"], rejected: ["不予批准", "warn"],
    returned: ["已退回", "warn"], recheck: ["复核中", "wait"], exiting: ["渐退中", ""], closed: ["已终止", "done"]
  };

  // caseState is the household's case state when it has a case (with the
  // reason of a return), else the state of its latest investigation.
  function caseState(invs, cases) {
    if (cases && cases.length) {
      cases.sort(function (a, b) { return String(b.fields.number).localeCompare(String(a.fields.number)); });
      var c = cases[0].fields, st = CASE_STATES[c.state] || [c.state, ""], text = st[0];
      if (c.state === "returned" && c.reason) text += "：" + c.reason;
      // While the village investigates, how far the form's signing got.
      if ((c.state === "investigating" || c.state === "returned") && invs.length) text += " · " + caseState(invs)[0];
      return [text, st[1]];
    }
    if (!invs.length) return ["未调查", "wait"];
    invs.sort(function (a, b) { return String(b.fields.date || "").localeCompare(String(a.fields.date || "")) || b.version - a.version; });
    var m = invs[0].meta || {}, s = m.signatures;
    if (m.submitted) return ["已提交审核", "done"];
    if (s && s.satisfied) return ["已双签 · 待提交", ""];
    return ["调查中 · 签字 " + (s ? s.valid_signers.length : 0) + "/2", "wait"];
  }

  async function listScreen() {
    var user = await client.user();
    document.getElementById("title").textContent = "入户调查 · " + (user ? user.display_name || user.username : "");
    var hhs = await client.list("households");
    var members = await client.list("members");
    var invs = await client.list("investigations");
    var cases = await client.list("cases");
    var rejected = await client.rejections();
    hhs.sort(function (a, b) { return b.pending - a.pending || String(a.fields.head_name).localeCompare(String(b.fields.head_name), "zh"); });
    var cards = hhs.map(function (r) {
      var f = r.fields;
      var st = caseState(invs.filter(function (i) { return i.fields.household_id === r.id; }),
        cases.filter(function (c) { return c.fields.household_id === r.id; }));
      var n = members.filter(function (m) { return m.fields.household_id === r.id; }).length;
      var rj = rejected.filter(function (x) { return x.id === r.id; }).pop();
      return h("div", { class: "card hh", "data-id": r.id, onclick: function () { location.hash = "#/hh/" + r.id; } },
        h("div", { class: "row" }, h("span", { class: "name", text: f.head_name }), h("span", { class: "muted", text: n + " 人" })),
        h("div", { class: "muted", text: f.address }),
        h("div", {},
          f.category ? h("span", { class: "tag", text: ENUM[f.category] || f.category }) : null,
          h("span", { class: "tag state " + st[1], text: st[0] }),
          r.pending ? h("span", { class: "tag wait", text: "待同步" }) : null,
          r.meta.open_conflicts ? h("span", { class: "tag warn", text: "冲突 " + r.meta.open_conflicts }) : null,
          rj ? h("span", { class: "tag warn", text: "被退回：" + msg(rj.code) }) : null));
    });
    screen(h("div", { class: "row" }, h("h2", { text: "本村家庭（" + hhs.length + " 户）" })),
      h("div", { class: "actions" },
        h("button", { class: "primary", id: "addHousehold", type: "button", text: "＋ 登记家庭", onclick: function () { location.hash = "#/new"; } }),
        h("button", { class: "secondary", type: "button", text: "退出登录", onclick: async function () { await client.logout(); location.hash = "#/login"; } })),
      h("div", { style: "height:12px" }),
      // Changes the server refused are gone from the outbox: say which, and why.
      rejected.filter(function (x) { return !hhs.some(function (r) { return r.id === x.id; }); }).slice(-5).map(function (x) {
        return h("div", { class: "card rejected" }, h("span", { class: "tag warn", text: "被退回" }), " ",
          (x.fields && (x.fields.head_name || x.fields.name)) || x.collection, h("div", { class: "muted", text: msg(x.code) }));
      }),
      cards.length ? cards : h("p", { class: "muted", text: "还没有家庭。同步后显示本村的家庭，或点击“登记家庭”。" }));
  }

  function inputFor(name, p, required) {
    var id = "f_" + name, el;
    if (p.enum) {
      el = h("select", { id: id, name: name }, required ? null : h("option", { value: "", text: "—" }),
        p.enum.map(function (v) { return h("option", { value: v, text: ENUM[v] || v }); }));
    } else if (p.type === "boolean") {
      el = h("select", { id: id, name: name }, h("option", { value: "", text: "—" }), h("option", { value: "true", text: "是" }), h("option", { value: "false", text: "否" }));
    } else {
      var type = p.format === "date" ? "date" : p.type === "number" || p.type === "integer" ? "number" : "text";
      el = h("input", { id: id, name: name, type: type, step: type === "number" ? "any" : null,
        inputmode: p.format === "id-number" ? "text" : null, autocomplete: "off" });
    }
    return el;
  }
  function valueOf(el, p) {
    var v = el.value.trim();
    if (v === "") return undefined;
    if (p.type === "number" || p.type === "integer") return Number(v);
    if (p.type === "boolean") return v === "true";
    return v;
  }

  function formScreen(collection, heading, fixed, done) {
    var doc = client.schema();
    var schema = doc && doc.collections[collection];
    if (!schema) { toast("尚未取得表单定义，请联网同步一次"); location.hash = "#/list"; return; }
    var names = FORMS[collection].filter(function (n) { return schema.properties[n]; });
    Object.keys(schema.properties).forEach(function (n) { if (schema.properties[n]["x-ruhu-extra"] && names.indexOf(n) < 0) names.push(n); });
    (schema.required || []).forEach(function (n) { if (names.indexOf(n) < 0 && !(n in fixed)) names.push(n); });
    var inputs = {}, errs = {};
    var body = names.map(function (n) {
      var p = schema.properties[n], req = (schema.required || []).indexOf(n) >= 0;
      inputs[n] = inputFor(n, p, req);
      errs[n] = h("div", { class: "err", id: "err_" + n });
      return [h("label", { for: "f_" + n }, p.title || n, req ? h("span", { class: "req", text: " *" }) : null), inputs[n], errs[n]];
    });
    var formErr = h("p", { class: "err" });
    var id = client.newId();
    screen(h("button", { class: "back", type: "button", text: "‹ 返回", onclick: function () { history.back(); } }),
      h("form", { class: "card", id: "form_" + collection, novalidate: true, onsubmit: async function (ev) {
        ev.preventDefault();
        var fields = Object.assign({}, fixed);
        names.forEach(function (n) { var v = valueOf(inputs[n], schema.properties[n]); if (v !== undefined) fields[n] = v; });
        names.forEach(function (n) { errs[n].textContent = ""; inputs[n].removeAttribute("aria-invalid"); });
        formErr.textContent = "";
        var problems = await client.validate(collection, id, fields);
        problems.forEach(function (e) {
          if (errs[e.field]) { if (!errs[e.field].textContent) errs[e.field].textContent = msg(e.code); inputs[e.field].setAttribute("aria-invalid", "true"); errs[e.field].setAttribute("data-code", e.code); }
          else formErr.textContent = msg(e.code);
        });
        if (problems.length) return;
        try {
          await client.create(collection, fields, id);
          toast(online ? "已保存" : "已保存在本机，联网后同步");
          await status();
          done(id);
          if (online) sync(true);
        } catch (e) {
          formErr.textContent = msg(e.code || String(e));
        }
      } }, h("h2", { text: heading }), body, formErr, h("button", { class: "primary", type: "submit", id: "save", text: "保存" })));
  }

  async function householdScreen(id) {
    var r = await client.get("households", id);
    if (!r) { location.hash = "#/list"; return; }
    var doc = client.schema(), props = (doc && doc.collections.households.properties) || {};
    var members = await client.list("members", function (m) { return m.fields.household_id === id; });
    var invs = await client.list("investigations", function (i) { return i.fields.household_id === id; });
    var filed = await client.list("photos", function (p) { return p.fields.household_id === id; });
    var queued = (await client.photos()).filter(function (p) { return p.household_id === id && p.status !== "uploaded"; });
    var hhCases = await client.list("cases", function (c) { return c.fields.household_id === id; });
    var st = caseState(invs.slice(), hhCases);
    var order = FORMS.households.concat(Object.keys(r.fields).sort());
    var rows = order.filter(function (k, i) { return k !== "unit_id" && k in r.fields && order.indexOf(k) === i; }).map(function (k) {
      var v = r.fields[k], p = props[k] || {};
      var text = Array.isArray(v) ? v.join("、") : typeof v === "boolean" ? (v ? "是" : "否") : ENUM[v] || String(v);
      return [h("dt", { text: p.title || k }), h("dd", { text: p["x-ruhu-sensitive"] ? mask(text) : text })];
    });
    var thumbs = h("div", { class: "thumbs" });
    filed.forEach(function (p) {
      var img = h("img", { alt: ENUM[p.fields.kind] || p.fields.kind, "data-sha": p.fields.sha256 || p.id });
      thumbs.append(img);
      client.authorization().then(function (auth) {
        return fetch("/v1/photos/" + (p.fields.sha256 || p.id) + "/thumb", { headers: { Authorization: auth } });
      }).then(function (res) { return res.ok ? res.blob() : null; }).then(function (b) { if (b) img.src = URL.createObjectURL(b); }).catch(function () {});
    });
    var kind = h("select", { id: "photoKind" }, ["house", "interior", "document", "commitment", "other"].map(function (k) { return h("option", { value: k, text: ENUM[k] }); }));
    var file = h("input", { id: "photoFile", class: "hidden-file", type: "file", accept: "image/jpeg,image/png", capture: "environment", onchange: async function () {
      var f = file.files && file.files[0];
      if (!f) return;
      try {
        await client.addPhoto(id, kind.value, new Uint8Array(await f.arrayBuffer()), f.name);
        toast("照片已保存在本机，同步时上传");
        await status();
        if (online) sync(true); else route();
      } catch (e) { toast(msg(e.code || String(e))); }
    } });
    screen(h("button", { class: "back", type: "button", text: "‹ 本村家庭", onclick: function () { location.hash = "#/list"; } }),
      h("div", { class: "card", id: "household" }, h("h2", { text: r.fields.head_name }),
        h("div", { class: "tags" }, h("span", { class: "tag state " + st[1], text: st[0] }), r.pending ? h("span", { class: "tag wait", text: "待同步 " + r.pending }) : null),
        h("dl", {}, rows)),
      h("div", { class: "card" }, h("div", { class: "row" }, h("h2", { text: "家庭成员（" + members.length + "）" })),
        members.map(function (m) {
          return h("div", { class: "row member" }, h("span", {}, m.fields.name, " · ", m.fields.relation), h("span", { class: "muted", text: mask(m.fields.id_number) + (m.pending ? " · 待同步" : "") }));
        }),
        h("button", { class: "secondary", id: "addMember", type: "button", text: "＋ 添加成员", onclick: function () { location.hash = "#/hh/" + id + "/member"; } })),
      h("div", { class: "card" }, h("h2", { text: "入户调查（" + invs.length + "）" }),
        invs.map(function (i) { var s = caseState([i]); return h("div", { class: "row" }, h("span", { text: i.fields.date || "未填日期" }), h("span", { class: "tag " + s[1], text: s[0] })); })),
      h("div", { class: "card" }, h("h2", { text: "照片" }), thumbs,
        queued.length ? h("p", { class: "muted", id: "queuedPhotos", text: queued.map(function (p) { return (ENUM[p.kind] || p.kind) + (p.status === "rejected" ? "（被退回：" + msg(p.code) + "）" : "（待上传）"); }).join("、") }) : null,
        h("label", { for: "photoKind", text: "照片类别" }), kind,
        h("label", { for: "photoFile", class: "button", text: "拍照 / 选择照片" }), file));
  }

  // ---- routing ----
  var routing = Promise.resolve();
  function route() {
    routing = routing.then(async function () {
      var hash = location.hash || "#/list";
      if (!(await client.loggedIn()) && hash !== "#/login") { location.hash = "#/login"; return; }
      var m;
      if (hash === "#/login") loginScreen();
      else if (hash === "#/new") {
        var user = await client.user();
        formScreen("households", "登记家庭", { unit_id: user.unit_id }, function (id) { location.replace("#/hh/" + id); });
      } else if ((m = /^#\/hh\/([^/]+)\/member$/.exec(hash))) {
        var hid = m[1];
        formScreen("members", "添加成员", { household_id: hid }, function () { location.replace("#/hh/" + hid); });
      } else if ((m = /^#\/hh\/([^/]+)$/.exec(hash))) await householdScreen(m[1]);
      else await listScreen();
      await status();
    }).catch(function (e) { toast(String(e && e.message || e)); });
    return routing;
  }
  window.addEventListener("hashchange", route);
  route().then(function () { if (online) return client.loggedIn().then(function (ok) { if (ok) sync(true); }); });
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("sw.js").catch(function () {}); // opens offline next time
  window.ruhuPage = { client: client, sync: sync, route: route };
})();
