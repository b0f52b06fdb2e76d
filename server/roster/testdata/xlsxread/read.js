// Prints every row of every sheet of the workbook named on the command
// line as JSON: {"sheet": [["cell", …], …]}, each cell as its text.
'use strict';
const ExcelJS = require('exceljs');

async function main() {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(process.argv[2]);
  const out = {};
  wb.eachSheet((ws) => {
    const rows = [];
    ws.eachRow({ includeEmpty: true }, (row, n) => {
      const cells = [];
      for (let i = 1; i <= row.cellCount; i++) {
        const v = row.getCell(i).value;
        cells.push(v === null || v === undefined ? '' : String(v));
      }
      rows[n - 1] = cells;
    });
    out[ws.name] = rows;
  });
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => { console.error(e); process.exit(1); });
