// The run report's inline stylesheet (screen and print) and script. System fonts only; nothing
// is loaded from anywhere.
#include "report_html.h"

namespace ordo::report {

const char kReportCss[] = R"CSS(
:root {
  --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --page: #f6f8fa;
  --ok: #1a7f37; --ok-bg: #dafbe1; --bad: #cf222e; --bad-bg: #ffebe9; --to: #bc4c00;
  --to-bg: #fff1e5; --cx: #6e5849; --cx-bg: #efebe9; --skip: #8c959f; --skip-bg: #f0f1f3;
  --run: #0969da; --run-bg: #ddf4ff; --label-w: 190px;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--page); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Noto Sans", "Liberation Sans", "DejaVu Sans", sans-serif, "Apple Color Emoji",
    "Segoe UI Emoji", "Noto Color Emoji";
}
code, pre, .sid, .g-label, .mono {
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono",
    "DejaVu Sans Mono", monospace;
}
a { color: var(--run); text-decoration: none; }
a:hover { text-decoration: underline; }
h1, h2, h3 { line-height: 1.2; }

/* Header: outcome first, then what ran where and when, then the variables. */
.hdr {
  display: grid; grid-template-columns: minmax(300px, 1.1fr) minmax(280px, 1fr) minmax(240px, 1fr);
  gap: 8px 32px; padding: 18px 28px 16px; background: #fff; border-bottom: 1px solid var(--line);
  border-top: 10px solid var(--bad);
}
.o-succeeded .hdr { border-top-color: var(--ok); }
.o-interrupted .hdr, .o-unfinished .hdr { border-top-color: var(--to); }
.o-refused .hdr { border-top-color: var(--cx); }
.outcome {
  display: inline-block; font-size: 30px; font-weight: 800; letter-spacing: .03em;
  padding: 2px 14px; border-radius: 6px; color: #fff; background: var(--bad);
}
.outcome.succeeded { background: var(--ok); }
.outcome.interrupted, .outcome.unfinished { background: var(--to); }
.outcome.refused { background: var(--cx); }
.hdr h1 { font-size: 24px; margin: 10px 0 2px; }
.desc { color: var(--muted); margin: 0 0 8px; }
.counts { margin: 6px 0 0; }
dl.facts {
  display: grid; grid-template-columns: max-content 1fr; gap: 3px 14px; margin: 4px 0 0;
  align-content: start; font-size: 13px;
}
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.vars h3 { font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted);
  margin: 4px 0 4px; }
.vars table { border-collapse: collapse; font-size: 13px; }
.vars th { text-align: left; font-weight: 600; padding: 1px 12px 1px 0; vertical-align: top;
  white-space: nowrap; }
.vars td { overflow-wrap: anywhere; font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12px; }
.vars td.secret { color: var(--muted); font-style: italic; }
.muted { color: var(--muted); }

.pill {
  display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px;
  font-weight: 600; white-space: nowrap; border: 1px solid transparent;
}
.pill.succeeded { background: var(--ok-bg); color: var(--ok); border-color: #9be9a8; }
.pill.failed { background: var(--bad); color: #fff; }
.pill.timed_out { background: var(--to); color: #fff; }
.pill.cancelled { background: var(--cx-bg); color: var(--cx); border-color: #bcaaa4; }
.pill.skipped, .pill.not_run { background: var(--skip-bg); color: var(--muted);
  border-color: var(--line); }
.pill.not_reached { background: #fff; color: var(--muted); border: 1px dashed var(--skip); }
.pill.running { background: var(--run-bg); color: var(--run); border-color: #80ccff; }

/* The banner: the one thing to read. */
.banner {
  margin: 16px 28px 8px; padding: 14px 20px; border-radius: 8px; border: 1px solid #ffcecb;
  border-left: 8px solid var(--bad); background: var(--bad-bg);
}
.banner.succeeded { border-color: #aceebb; border-left-color: var(--ok); background: var(--ok-bg); }
.banner.interrupted, .banner.unfinished { border-color: #ffd8b5; border-left-color: var(--to);
  background: var(--to-bg); }
.banner.refused { border-color: #d7ccc8; border-left-color: var(--cx); background: var(--cx-bg); }
.banner h2 { margin: 2px 0 4px; font-size: 21px; border: 0; padding: 0; }
.banner > p { margin: 4px 0; }
.cause + .cause { margin-top: 14px; padding-top: 12px; border-top: 1px solid #ffcecb; }
.tag {
  display: inline-block; background: var(--bad); color: #fff; font-size: 12px;
  text-transform: uppercase; letter-spacing: .05em; padding: 3px 8px; border-radius: 4px;
  vertical-align: 3px; margin-right: 4px;
}
.cause h2 a { color: var(--bad); font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; }
.sub { color: var(--muted); }
pre.tail {
  background: #1f2328; color: #e6edf3; padding: 8px 12px; border-radius: 6px; margin: 8px 0;
  font-size: 12.5px; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere;
}
pre.tail .stderr { color: #ffa198; }
pre.tail .info { color: #9198a1; }
.effects { margin: 6px 0 0; padding-left: 20px; }
.effects b { font-weight: 600; }

nav.toc { margin: 4px 28px 0; font-size: 13px; display: flex; gap: 18px; align-items: center; }
nav.toc button {
  margin-left: auto; font: inherit; font-size: 12px; padding: 3px 10px; border-radius: 6px;
  border: 1px solid var(--line); background: #fff; cursor: pointer;
}
section { margin: 14px 28px; }
section > h2 { font-size: 17px; margin: 20px 0 6px; padding-bottom: 4px;
  border-bottom: 1px solid var(--line); }
.legend { font-size: 12px; color: var(--muted); margin: 4px 0 8px; }
.legend .edges { margin-left: 14px; }
.legend .red { color: #d32f2f; }
.legend .orange { color: #ef6c00; }
.sw { display: inline-block; width: 12px; height: 12px; border-radius: 3px; vertical-align: -2px;
  margin: 0 4px 0 10px; border: 1px solid #0003; }
.sw:first-child { margin-left: 0; }
.sw.succeeded { background: #c8e6c9; } .sw.failed { background: #ffcdd2; border-color: #c62828; }
.sw.timed_out { background: #ffe0b2; border-color: #ef6c00; } .sw.cancelled { background: #d7ccc8; }
.sw.skipped { background: #eeeeee; border-style: dashed; }
.sw.not_reached { background: #fff; border-style: dotted; } .sw.running { background: #bbdefb; }
.sw.bar-s { background: linear-gradient(90deg, #2da44e 50%, #cf222e 50%); }
.sw.k-wait { background: repeating-linear-gradient(45deg, #8c959f 0 2px, #fff 2px 5px); }
.sw.crit { background: #fff; box-shadow: inset 0 0 0 2px #1f2328; }
.fire-key { color: #ef6c00; margin: 0 2px 0 10px; }
.graph-box { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px;
  overflow-x: auto; }
svg.graph { display: block; margin: 0 auto; max-width: 100%; height: auto; }
svg.graph a { cursor: pointer; }
.warn { color: var(--to); }

/* Timeline (Gantt). */
.gantt { position: relative; background: #fff; border: 1px solid var(--line); border-radius: 8px;
  padding: 6px 12px 24px; }
.g-axis, .lane { display: flex; align-items: stretch; }
.g-label { flex: 0 0 var(--label-w); width: var(--label-w); padding-right: 10px; font-size: 12.5px;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; line-height: 24px; }
.g-axis .g-label { color: var(--muted); font-size: 11px; text-transform: uppercase; }
.g-track { position: relative; flex: 1 1 auto; height: 24px; }
.g-axis .g-track { border-bottom: 1px solid var(--line); }
.tick { position: absolute; top: 4px; transform: translateX(-50%); font-size: 11px;
  color: var(--muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.tick:first-child { transform: none; }
.lane + .lane { border-top: 1px solid #f0f2f4; }
.lane.st-failed .g-label a, .lane.st-timed_out .g-label a { color: var(--bad); font-weight: 700; }
.lane.st-skipped .g-label a, .lane.st-not_reached .g-label a,
.lane.st-not_run .g-label a { color: var(--muted); }
.bar { position: absolute; top: 5px; height: 14px; min-width: 3px; border-radius: 3px;
  background: #2da44e; z-index: 1; }
.bar.failed { background: #cf222e; }
.bar.timed_out { background: #e16f24; }
.bar.cancelled { background: #8d6e63; }
.bar.running { background: repeating-linear-gradient(90deg, #0969da 0 6px, #54aeff 6px 10px); }
.lane.watcher .bar { background: #c297ff; top: 8px; height: 8px; }
.lane.critical .bar { box-shadow: 0 0 0 2px #1f2328; }
.lane.critical .g-label a::before { content: "◆ "; color: var(--ink); }
.wait { position: absolute; top: 8px; height: 8px; min-width: 2px;
  background: repeating-linear-gradient(45deg, #8c959f 0 2px, transparent 2px 5px);
  border-top: 1px solid #8c959f; border-bottom: 1px solid #8c959f; }
.fire { position: absolute; top: 0; transform: translateX(-50%); z-index: 2; color: #ef6c00;
  font-size: 15px; line-height: 24px; text-shadow: 0 0 2px #fff, 0 0 2px #fff; }
.skip-mark { position: absolute; top: 7px; width: 10px; height: 10px; border-radius: 50%;
  border: 2px solid #8c959f; background: #fff; transform: translateX(-50%); }
.skip-mark.failed { border-color: var(--bad); background: var(--bad); }
.g-text { position: absolute; top: 0; z-index: 2; line-height: 24px; font-size: 12px;
  color: var(--muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
  text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; }
.lane.st-failed .g-text, .lane.st-timed_out .g-text { color: var(--bad); }
.g-overlay { position: absolute; top: 6px; bottom: 24px; left: calc(12px + var(--label-w));
  right: 12px; pointer-events: none; }
.grid { position: absolute; top: 0; bottom: 0; border-left: 1px dashed #e4e8ec; }
.abort { position: absolute; top: 0; bottom: 0; border-left: 2px solid #cf222ebb; }
.abort b { position: absolute; bottom: -20px; left: -1px; font-size: 11px; color: var(--bad);
  white-space: nowrap; font-weight: 600; }

/* Steps. */
.step-head, .row-head { display: grid; gap: 10px; align-items: center;
  grid-template-columns: 104px minmax(150px, 230px) minmax(120px, 1fr) 90px 64px 64px 40px 110px; }
.step-head { font-size: 11px; text-transform: uppercase; letter-spacing: .04em;
  color: var(--muted); padding: 0 14px 0 20px; }
.step-head span:nth-child(n+5) { text-align: right; }
.step-row { background: #fff; border: 1px solid var(--line); border-left: 6px solid var(--ok);
  border-radius: 6px; margin: 5px 0; padding: 6px 14px; scroll-margin-top: 12px; }
.step-row.st-failed { border-left-color: var(--bad); background: #fffafa; }
.step-row.st-timed_out { border-left-color: var(--to); }
.step-row.st-cancelled { border-left-color: var(--cx); }
.step-row.st-skipped, .step-row.st-not_run { border-left-color: #d1d9e0; }
.step-row.st-not_reached { border-left-color: #d1d9e0; }
.step-row.st-running { border-left-color: var(--run); }
.step-row.target { box-shadow: 0 0 0 3px #54aeff66; }
.sid { font-weight: 600; overflow-wrap: anywhere; }
.sid i, .sid i { font-style: normal; font-weight: 400; font-size: 11px; color: var(--muted);
  border: 1px solid var(--line); border-radius: 4px; padding: 0 4px; margin-left: 4px;
  font-family: system-ui, sans-serif; }
.sdesc { color: var(--muted); overflow-wrap: anywhere; }
.skind { color: var(--muted); font-size: 12px; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.row-note { margin: 3px 0 0 114px; font-size: 13px; }
.st-failed .row-note, .st-timed_out .row-note { color: var(--bad); font-weight: 600; }
.st-skipped .row-note, .st-not_reached .row-note { color: var(--muted); }
.row-note.warn { color: var(--to); font-weight: 400; }
details.more { margin: 4px 0 2px 114px; }
details.more summary { cursor: pointer; color: var(--muted); font-size: 12px; }
details.folded { display: inline; }
details.folded summary { display: inline; cursor: pointer; color: var(--muted); }
.k { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted);
  margin-top: 6px; }
.k i { text-transform: none; letter-spacing: 0; }
.cmd pre, pre.log { margin: 2px 0 4px; padding: 6px 10px; border-radius: 6px; font-size: 12px;
  background: var(--page); border: 1px solid var(--line); white-space: pre-wrap;
  overflow-wrap: anywhere; }
pre.log { max-height: 460px; overflow: auto; }
pre.log .meta { color: #8c959f; }
pre.log .stderr { color: var(--bad); }
pre.log .info { color: var(--muted); }
.outs .k, .fires .k { display: inline; margin-right: 8px; }
.outs code, .fires code { font-size: 12px; overflow-wrap: anywhere; }
.outs, .fires { margin-top: 6px; }
footer { margin: 24px 28px; font-size: 12px; color: var(--muted); }

@media (max-width: 1000px) {
  .hdr { grid-template-columns: 1fr; }
  .step-head { display: none; }
  .row-head { grid-template-columns: 104px 1fr 64px; }
  .row-head .sdesc, .row-head .skind, .row-head .num:nth-child(5),
  .row-head .num:nth-child(7), .row-head .num:nth-child(8) { display: none; }
  .row-note, details.more { margin-left: 0; }
  :root { --label-w: 130px; }
}
@media print {
  @page { size: A4 landscape; margin: 10mm; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { background: #fff; font-size: 11px; }
  nav.toc, #expand-all { display: none; }
  .hdr { padding: 8px 0; border-bottom: 0; }
  section, .banner { margin: 10px 0; }
  .banner, .cause, .step-row, .lane, .graph-box { break-inside: avoid; }
  section > h2 { break-after: avoid; }
  pre.log { max-height: none; overflow: visible; }
  .graph-box { overflow: visible; border: 0; }
  svg.graph { min-width: 0 !important; }
  .step-row.target { box-shadow: none; }
  a { color: inherit; }
}
)CSS";

const char kReportJs[] = R"JS(
(function () {
  var button = document.getElementById('expand-all');
  if (button) button.addEventListener('click', function () {
    var open = button.getAttribute('data-open') !== '1';
    document.querySelectorAll('details.more').forEach(function (d) { d.open = open; });
    button.setAttribute('data-open', open ? '1' : '0');
    button.textContent = open ? 'collapse all logs' : 'expand all logs';
  });
  // A link to a step (graph node, timeline, banner) opens its log and marks the row.
  function show() {
    document.querySelectorAll('.step-row.target').forEach(function (e) {
      e.classList.remove('target');
    });
    var id = decodeURIComponent(location.hash.slice(1));
    var row = id && document.getElementById(id);
    if (!row || !row.classList.contains('step-row')) return;
    var d = row.querySelector('details');
    if (d) d.open = true;
    row.classList.add('target');
  }
  window.addEventListener('hashchange', show);
  show();
})();
)JS";

}  // namespace ordo::report
