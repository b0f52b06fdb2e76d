// The /m/ page in headless Chromium at 375×667: log in, see the village's
// households and their case state, go offline, register a household and a
// member (with an offline refusal first), take a photo, come back online
// and sync. Screenshots of each screen go to test-output/screens/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tus from "tus-js-client";
import { startServer, uniqueId, repoRoot, PASSWORD } from "./server.mjs";
import { RuhuClient, memoryStorage } from "../dist/ruhu.mjs";

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI === "true") throw new Error(`${CHROMIUM} is required under CI=true`);
const shots = fileURLToPath(new URL("../test-output/screens/", import.meta.url));

let srv, browser, puppeteer;
before(async () => {
  if (!haveChromium) return;
  puppeteer = (await import("puppeteer-core")).default;
  srv = await startServer();
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"] });
  mkdirSync(shots, { recursive: true });
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

async function client(user) {
  const c = new RuhuClient({ baseUrl: srv.url, storage: memoryStorage(), tus });
  await c.login(user, PASSWORD);
  return c;
}

test("the village page, offline and back online", { skip: !haveChromium && `no ${CHROMIUM}` }, async () => {
  // The village already has two households: one under investigation, one
  // whose investigation both village workers signed (signatures made by
  // the JS client and accepted by the server).
  const w1 = await client("worker1"), w2 = await client("worker2");
  const a = await w1.create("households", { unit_id: "t1-v1", head_name: "陈一", head_id_number: uniqueId(), address: "东村11号", category: "dibao" });
  await w1.create("investigations", { household_id: a, date: "2026-03-01", findings: "待复核" });
  const b = await w1.create("households", { unit_id: "t1-v1", head_name: "林二", head_id_number: uniqueId(), address: "东村12号", category: "tekun" });
  const inv = await w1.create("investigations", { household_id: b, date: "2026-03-02", findings: "家中无劳动力", per_capita_income: 3908.5 });
  await w1.sync();
  await w1.sign(inv);
  const r1 = await w1.sync();
  assert.equal(r1.keysRegistered, 1);
  assert.equal(r1.applied, 1, JSON.stringify(r1));
  await w2.sync();
  await w2.sign(inv);
  assert.equal((await w2.sync()).applied, 1);
  await w1.sync();
  assert.equal((await w1.get("investigations", inv)).meta.signatures.satisfied, true, "two valid signers");

  const page = await browser.newPage();
  // A wait that fails says what the page showed.
  const wait = page.waitForFunction.bind(page);
  page.waitForFunction = async (...args) => {
    try {
      return await wait(...args);
    } catch (e) {
      throw new Error(`${e.message}; the page showed: ${await page.evaluate(() => location.hash + " | " + document.body.innerText)}; errors: ${errors}`);
    }
  };
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && !/Failed to load resource|ERR_INTERNET_DISCONNECTED/.test(m.text()) && errors.push(m.text()));
  await page.setViewport({ width: 375, height: 667, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  await page.goto(srv.url + "/m/", { waitUntil: "networkidle0" });
  await page.waitForSelector("#username");
  await page.screenshot({ path: join(shots, "1-login.png") });

  await page.type("#password", "wrong-password");
  await page.type("#username", "worker1");
  await page.click("#loginBtn");
  await page.waitForFunction(() => document.querySelector("#loginErr").textContent.includes("密码错误"));
  await page.$eval("#password", (el) => (el.value = ""));
  await page.type("#password", PASSWORD);
  await page.click("#loginBtn");
  await page.waitForFunction(() => document.querySelectorAll(".hh").length >= 2, { timeout: 15000 });
  await page.waitForFunction(() => document.querySelector("#net").dataset.pending === "0");
  const list = await page.$eval("#app", (el) => el.innerText);
  assert.match(list, /陈一[\s\S]*调查中 · 签字 0\/2|调查中 · 签字 0\/2[\s\S]*陈一/);
  assert.match(list, /林二/);
  assert.match(list, /已双签 · 待提交/);
  assert.match(list, /低保/);
  await page.screenshot({ path: join(shots, "2-households.png"), fullPage: true });

  // Offline from here.
  await page.setOfflineMode(true);
  await page.waitForFunction(() => document.querySelector("#net").textContent.startsWith("离线"));
  await page.click("#addHousehold");
  await page.waitForSelector("#form_households");
  const head = uniqueId();
  await page.type("#f_head_name", "黄三");
  await page.type("#f_head_id_number", head.slice(0, 17) + (head[17] === "1" ? "2" : "1"));
  await page.click("#save");
  await page.waitForFunction(() => document.querySelector("#err_head_id_number").textContent !== "");
  assert.equal(await page.$eval("#err_head_id_number", (el) => el.dataset.code), "invalid_id_number");
  assert.equal(await page.$eval("#err_address", (el) => el.dataset.code), "missing_field");
  await page.screenshot({ path: join(shots, "3-form-refused-offline.png"), fullPage: true });
  await page.$eval("#f_head_id_number", (el) => (el.value = ""));
  await page.type("#f_head_id_number", head);
  await page.type("#f_address", "东村13号");
  await page.select("#f_category", "dibao_edge");
  await page.click("#save");
  await page.waitForSelector("#household");
  const hh = await page.evaluate(() => location.hash.split("/")[2]);
  assert.match(await page.$eval("#household", (el) => el.innerText), /待同步/);

  await page.click("#addMember");
  await page.waitForSelector("#form_members");
  await page.type("#f_name", "黄三");
  await page.type("#f_id_number", head);
  await page.type("#f_relation", "户主");
  await page.select("#f_sex", "male");
  await page.click("#save");
  await page.waitForFunction(() => document.querySelectorAll(".member").length === 1);
  await page.select("#photoKind", "commitment");
  const input = await page.$("#photoFile");
  await input.uploadFile(join(repoRoot, "docs", "tour", "commitment.jpg"));
  await page.waitForSelector("#queuedPhotos");
  await page.waitForFunction(() => document.querySelector("#net").dataset.pending === "3");
  await page.screenshot({ path: join(shots, "4-household-offline.png"), fullPage: true });

  // Nothing reached the server yet.
  await w2.sync();
  assert.equal(await w2.get("households", hh), undefined);

  // Back online: the page syncs by itself.
  await page.setOfflineMode(false);
  await page.waitForFunction(() => document.querySelector("#net").dataset.pending === "0", { timeout: 20000 });
  await page.waitForSelector(".thumbs img[src^='blob:']", { timeout: 10000 });
  assert.doesNotMatch(await page.$eval("#household", (el) => el.innerText), /待同步/);
  await page.screenshot({ path: join(shots, "5-household-synced.png"), fullPage: true });

  await w2.sync();
  assert.equal((await w2.get("households", hh))?.fields.head_name, "黄三");
  assert.equal((await w2.list("members", (m) => m.fields.household_id === hh)).length, 1);
  const photos = await w2.list("photos", (p) => p.fields.household_id === hh);
  assert.equal(photos.length, 1);
  assert.equal(photos[0].fields.kind, "commitment");

  // The township opens a case for 林二 and returns it with a reason: the
  // page shows the case's state in the procedure, with the reason.
  const tok = async (user) => (await (await fetch(srv.url + "/v1/auth/login", { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: user, password: PASSWORD, device_id: "h5-test-" + user }) })).json()).access_token;
  const opened = await fetch(srv.url + "/v1/cases", { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer " + (await tok("worker1")) },
    body: JSON.stringify({ household_id: b }) });
  assert.equal(opened.status, 201, await opened.clone().text());
  await page.evaluate(() => (location.hash = "#/list"));
  await page.click("#syncBtn");
  await page.waitForFunction(() => document.querySelector("#app").innerText.includes("入户调查中 · 已双签 · 待提交"), { timeout: 15000 });
  await page.waitForFunction(() => document.querySelectorAll(".hh").length >= 3);
  await page.screenshot({ path: join(shots, "6-households-synced.png"), fullPage: true });

  // The page opens with no network at all: its files from the service
  // worker's cache, the village from IndexedDB.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await page.setOfflineMode(true);
  await page.reload({ waitUntil: "load" });
  await page.waitForFunction(() => document.querySelectorAll(".hh").length >= 3 && document.querySelector("#net").textContent.startsWith("离线"));
  assert.match(await page.$eval("#app", (el) => el.innerText), /黄三[\s\S]*低保边缘|低保边缘[\s\S]*黄三/);
  await page.screenshot({ path: join(shots, "7-reopened-offline.png"), fullPage: true });
  await page.setOfflineMode(false);
  assert.deepEqual(errors, [], "no errors in the page");
  await page.close();
});
