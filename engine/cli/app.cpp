// The `ordo` command line (the only CLI11 user). Each subcommand's options are declared here
// and the work is done by the cmd_* functions in commands.h.
#include "app.h"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "commands.h"
#include "render/render.h"

namespace ordo::cli {

static void add_common(CLI::App* sub, CommonOptions& c, bool with_vars = true) {
  sub->add_option("--state-dir", c.state_dir,
                  "where journals, logs and the run lock live (default: $XDG_STATE_HOME/ordo, "
                  "or /var/lib/ordo as root)");
  if (with_vars) {
    sub->add_option("--set", c.set, "override a variable: --set name=value (repeatable)")
        ->type_name("NAME=VALUE");
    sub->add_option("--vars", c.vars_files, "read variable values from a TOML file (repeatable)")
        ->type_name("FILE");
    sub->add_option("--fact", c.facts, "override a host fact: --fact os_family=rhel (repeatable)")
        ->type_name("NAME=VALUE");
  }
  sub->add_flag("--no-color", c.no_color, "plain output (also when NO_COLOR is set)");
}

static void add_tag_filter(CLI::App* sub, TagFilter& t) {
  sub->add_option("--only-tags", t.only,
                  "run only the steps with one of these tags (comma-separated or repeated), and "
                  "the watchers and failure handlers of those; the rest are skipped as not "
                  "selected")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->type_name("TAG,...");
  sub->add_option("--skip-tags", t.skip,
                  "skip the steps with one of these tags (wins over --only-tags)")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->type_name("TAG,...");
}

int ordo_main(int argc, char** argv) {
  // A closed pipe (a reader that went away, `ordo ... | head`) must be an EPIPE error on that
  // write, never a silent death mid-run: ordo has a journal and children to look after. Steps
  // get the default SIGPIPE back in executors/process.cpp before exec.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{
      "ordo runs upgrade and maintenance procedures written as declarative TOML plans.\n"
      "A plan is a graph of steps: ordo checks it, shows what it would do, runs the steps in\n"
      "dependency order (in parallel where the graph allows), survives crashes, and draws it.\n"};
  app.name("ordo");
  app.require_subcommand(1);
  app.footer(
      "\nTypical session:\n"
      "  ordo check plans/indico-3x.toml          # every problem at once, file:line:col\n"
      "  ordo plan plans/indico-3x.toml           # what would run, in waves, and why not\n"
      "  ordo graph plans/indico-3x.toml --format svg -o plan.svg\n"
      "  ordo report plans/indico-3x.toml -o report.html   # the last run, as one HTML file\n"
      "\nExit codes: 0 success, 1 a step failed, 2 invalid plan or usage, 3 refused,\n"
      "130 interrupted.");
  app.set_version_flag("--version", "ordo 0.1.0");

  std::vector<std::string> check_plans;
  CommonOptions check_common;
  auto* check = app.add_subcommand("check",
                                   "load and validate plans; print every problem as "
                                   "file:line:col: message (exit 2 if any)");
  check->add_option("PLAN", check_plans, "plan files")->required()->check(CLI::ExistingFile);
  add_common(check, check_common);

  PlanOptions plan_opts;
  auto* plan = app.add_subcommand(
      "plan",
      "dry run: the order in waves of what may run in parallel, and for each step "
      "whether it will run, be skipped (and why), or is decided at run time");
  plan->add_option("PLAN", plan_opts.plan, "plan file")->required()->check(CLI::ExistingFile);
  add_tag_filter(plan, plan_opts.tags);
  add_common(plan, plan_opts.common);

  GraphOptions graph_opts;
  auto* graph = app.add_subcommand("graph", "draw the plan graph");
  graph->add_option("PLAN", graph_opts.plan, "plan file")->required()->check(CLI::ExistingFile);
  graph->add_option("--format,-f", graph_opts.format, "dot, mermaid, text or svg")
      ->check(CLI::IsMember({"dot", "mermaid", "text", "svg"}))
      ->capture_default_str();
  graph->add_option("-o,--output", graph_opts.output, "write to FILE instead of stdout");
  auto* graph_run = graph->add_option(
      "--run", graph_opts.run,
      "colour the steps by a run's outcome: RUN-ID, a journal/events file, or nothing for the "
      "last run of the plan (put it after PLAN)");
  graph_run->expected(0, 1)->type_name("[RUN-ID]");
  auto* graph_focus = graph->add_option(
      "--focus", graph_opts.focus,
      "draw only STEP and what it depends on and what depends on it, up to --depth "
      "edges away (every edge kind); cut-off parts show as \"… N more upstream\" "
      "stubs");
  graph_focus->type_name("STEP");
  graph
      ->add_option("--depth", graph_opts.depth,
                   "with --focus: how many edges to follow each way (default: " +
                       std::to_string(kDefaultFocusDepth) + ")")
      ->type_name("N")
      ->check(CLI::Range(0, 1000000))
      ->needs(graph_focus);
  graph
      ->add_option("--collapse", graph_opts.collapse,
                   "draw all steps tagged TAG as one node (repeatable; a step with two such tags "
                   "goes to the first given); with --run coloured by the worst outcome inside")
      ->type_name("TAG")
      ->allow_extra_args(false);
  graph->footer(
      "\nBig plans:\n"
      "  ordo graph plan.toml --focus db-upgrade            # 2 edges up and down from it\n"
      "  ordo graph plan.toml --focus db-upgrade --depth 1 --format svg -o near.svg\n"
      "  ordo graph plan.toml --collapse backup --collapse verify   # one node per tag\n"
      "Above " +
      std::to_string(kLargeGraphNodes) +
      " nodes, svg/dot use faster Graphviz layout settings (said on stderr).");
  add_common(graph, graph_opts.common);

  ReportOptions report_opts;
  auto* report = app.add_subcommand(
      "report",
      "write a run's report: one self-contained HTML file with the outcome and root "
      "cause, the graph, a timeline and every step's command and log");
  report->add_option("PLAN", report_opts.plan, "plan file")->required()->check(CLI::ExistingFile);
  report->add_option("RUN", report_opts.run,
                     "run id, or a journal/events file (default: the last run of the plan)");
  report->add_option("-o,--output", report_opts.output,
                     "write to FILE (default: report.html in the run's directory)");
  add_common(report, report_opts.common);

  RunOptions run_opts;
  auto* run = app.add_subcommand("run",
                                 "run a plan: steps in dependency order, in parallel up "
                                 "to -j, with a summary and per-step logs");
  run->add_option("PLAN", run_opts.plan, "plan file")->required()->check(CLI::ExistingFile);
  run->add_option("-j,--jobs", run_opts.jobs,
                  "steps running at once (default: the number of CPUs; watchers not counted)")
      ->check(CLI::Range(1, 4096));
  run->add_flag("--yes,-y", run_opts.yes, "answer yes to every `confirm` gate");
  run->add_option("--events", run_opts.events,
                  "write every event as JSON lines to FILE (format: engine/events-format.md)")
      ->type_name("FILE");
  run->add_flag("--no-report", run_opts.no_report,
                "do not write report.html into the run's directory at the end");
  auto* fresh_flag = run->add_flag(
      "--fresh", run_opts.fresh,
      "start a new run even though the plan has an unfinished one (marks that one "
      "abandoned in its journal; steps its killed ordo left running are stopped first)");
  run->add_flag("--wait-orphans", run_opts.wait_orphans,
                "with --fresh: when steps started by the killed ordo still run, wait for them "
                "to end instead of terminating them")
      ->needs(fresh_flag);
  add_tag_filter(run, run_opts.tags);
  add_common(run, run_opts.common);

  ResumeOptions resume_opts;
  auto* resume = app.add_subcommand(
      "resume",
      "continue the plan's last unfinished (or failed) run from its journal, with the "
      "same variables: steps that succeeded and did not change are kept");
  resume->add_option("PLAN", resume_opts.run.plan, "plan file")
      ->required()
      ->check(CLI::ExistingFile);
  resume->add_option("-j,--jobs", resume_opts.run.jobs, "steps running at once")
      ->check(CLI::Range(1, 4096));
  resume->add_flag("--yes,-y", resume_opts.run.yes, "answer yes to every `confirm` gate");
  resume
      ->add_option("--events", resume_opts.run.events,
                   "write the resumed part's events as JSON lines to FILE")
      ->type_name("FILE");
  resume->add_flag("--no-report", resume_opts.run.no_report,
                   "do not write report.html into the run's directory at the end");
  auto* rerun_flag =
      resume->add_flag("--rerun-interrupted", resume_opts.rerun_interrupted,
                       "run again the interrupted steps that are not idempotent (no question)");
  resume
      ->add_flag("--skip-interrupted", resume_opts.skip_interrupted,
                 "do not run again the interrupted steps that are not idempotent")
      ->excludes(rerun_flag);
  resume->add_flag("--wait-orphans", resume_opts.run.wait_orphans,
                   "when steps started by the killed ordo still run, wait for them to end "
                   "instead of terminating them");
  add_common(resume, resume_opts.run.common);

  StatusOptions status_opts;
  auto* status = app.add_subcommand(
      "status", "a run's state per step from its journal: outcome, attempts, times, logs");
  status->add_option("PLAN", status_opts.plan, "plan file, or plan name")->required();
  status->add_option("RUN", status_opts.run, "run id (default: the last run of the plan)");
  status->add_flag("--json", status_opts.json, "print it as JSON");
  add_common(status, status_opts.common, false);

  UnlockOptions unlock_opts;
  auto* unlock = app.add_subcommand(
      "unlock", "remove the plan's run lock left by a run that died (not a live run's)");
  unlock->add_option("PLAN", unlock_opts.plan, "plan file, or plan name")->required();
  unlock->add_flag("--force", unlock_opts.force, "remove it even if a live process holds it");
  add_common(unlock, unlock_opts.common, false);

  auto* schema = app.add_subcommand(
      "schema", "print the JSON Schema of plan files, generated from the executor tables");
  auto* kinds = app.add_subcommand("kinds", "list the executor kinds");
  std::string explain_kind;
  auto* explain = app.add_subcommand("explain", "document one kind's parameters and outputs");
  explain->add_option("KIND", explain_kind, "an executor kind, e.g. systemd")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitInvalid;
  }

  if (*check) return cmd_check(check_plans, check_common);
  if (*plan) return cmd_plan(plan_opts);
  if (*graph) {
    graph_opts.with_run = graph_run->count() > 0;
    return cmd_graph(graph_opts);
  }
  if (*report) return cmd_report(report_opts);
  if (*run) return cmd_run(run_opts);
  if (*resume) return cmd_resume(resume_opts);
  if (*status) return cmd_status(status_opts);
  if (*unlock) return cmd_unlock(unlock_opts);
  if (*schema) return cmd_schema();
  if (*kinds) return cmd_kinds();
  if (*explain) return cmd_explain(explain_kind);
  return kExitInvalid;
}

}  // namespace ordo::cli
