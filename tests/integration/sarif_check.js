// calm-lint's SARIF contract beyond the schema: every rule described, results that
// point at their rule, %SRCROOT%-relative locations, fingerprints, traces as code
// flows, suppressions. usage: node sarif_check.js RULE_COUNT LOG...
'use strict';
const fs = require('fs');
const [ruleCount, ...logs] = process.argv.slice(2);
let failures = 0;
const seen = { codeFlows: 0, suppressions: 0, results: 0, notifications: 0 };
function check(cond, log, what) {
  if (!cond) {
    failures++;
    console.log(`check: ${log}: ${what}`);
  }
}
for (const log of logs) {
  const sarif = JSON.parse(fs.readFileSync(log, 'utf8'));
  check(sarif.version === '2.1.0' && sarif.runs.length === 1, log, 'one 2.1.0 run');
  const run = sarif.runs[0];
  const rules = run.tool.driver.rules;
  check(rules.length === Number(ruleCount), log, `${rules.length} rules described, expected ${ruleCount}`);
  for (const r of rules) {
    check(r.id && r.shortDescription.text && r.fullDescription.text && r.help.text, log, `rule ${r.id} metadata`);
    check(['warning', 'error', 'note'].includes(r.defaultConfiguration.level), log, `rule ${r.id} level`);
  }
  check(/^file:\/\/\/.*\/$/.test(run.originalUriBaseIds['%SRCROOT%'].uri), log, 'SRCROOT is an absolute file URI');
  const fps = new Set();
  for (const res of run.results) {
    seen.results++;
    check(rules[res.ruleIndex] && rules[res.ruleIndex].id === res.ruleId, log, `ruleIndex of ${res.ruleId}`);
    const loc = res.locations[0].physicalLocation;
    check(loc.artifactLocation.uriBaseId === '%SRCROOT%' && !loc.artifactLocation.uri.startsWith('/'), log,
          `relative uri ${loc.artifactLocation.uri}`);
    check(loc.region.startLine >= 1 && loc.region.startColumn >= 1, log, 'region');
    const fp = res.partialFingerprints['calmLint/v1'];
    check(/^[0-9a-f]{16}:[0-9]+$/.test(fp) && !fps.has(fp), log, `fingerprint ${fp} unique`);
    fps.add(fp);
    if (res.codeFlows) {
      seen.codeFlows++;
      const steps = res.codeFlows[0].threadFlows[0].locations;
      check(steps.length >= 2 && steps.every(s => s.location.message.text), log, 'code flow steps');
    }
    if (res.suppressions) seen.suppressions++;
  }
  seen.notifications += (run.invocations[0].toolExecutionNotifications || []).length;
}
// over all logs, each feature must have been exercised at least once
for (const k of Object.keys(seen)) check(seen[k] > 0, 'all logs', `no ${k} at all`);
console.log(`check: ${logs.length} logs, ${seen.results} results, ${seen.codeFlows} with code flows, ` +
            `${seen.suppressions} suppressed, ${seen.notifications} parse errors`);
process.exit(failures ? 1 : 0);
