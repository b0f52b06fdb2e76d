// Uploads one file to ruhu with the official tus JavaScript client, the way
// a web or React Native client would. TestPhotoUploadWithTusJsClient runs it:
//
//   RUHU_TOKEN=… RUHU_METADATA='{"sha256":"…",…}' node upload.js FILE ENDPOINT
//
// It prints one JSON line, {"ok":true,"url":…,"chunks":n} or
// {"ok":false,"status":…,"body":…,"error":…}, and exits 1 on failure.
'use strict';

const fs = require('node:fs');
const tus = require('tus-js-client');

const [file, endpoint] = process.argv.slice(2);
if (!file || !endpoint) {
  console.error('usage: node upload.js FILE ENDPOINT');
  process.exit(2);
}

let chunks = 0;
const upload = new tus.Upload(fs.readFileSync(file), {
  endpoint,
  headers: { Authorization: `Bearer ${process.env.RUHU_TOKEN}` },
  metadata: JSON.parse(process.env.RUHU_METADATA || '{}'),
  chunkSize: Number(process.env.RUHU_CHUNK_SIZE || 16 * 1024),
  retryDelays: [0, 200],
  onAfterResponse(req) {
    if (req.getMethod() === 'PATCH') chunks++;
  },
  onSuccess() {
    console.log(JSON.stringify({ ok: true, url: upload.url, chunks }));
  },
  onError(err) {
    const res = err.originalResponse;
    console.log(JSON.stringify({
      ok: false,
      status: res ? res.getStatus() : 0,
      body: res ? res.getBody() : '',
      error: String(err.message || err),
    }));
    process.exitCode = 1;
  },
});
upload.start();
