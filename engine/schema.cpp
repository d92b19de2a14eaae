// plan_json_schema(): the executor tables -> a draft-07 JSON Schema for plan files. The only
// nlohmann-json user in the engine library.
//
// Shape: [plan] and [vars] are fixed; [steps.ID] is #/definitions/step: the common keys in
// `properties`, and per kind an `if kind == K then { common keys + K's parameters, nothing
// else }`, so editors complete and check each kind's parameters. The common keys are written
// once and referenced from each kind. Key order is fixed (ordered_json), so the output is
// deterministic and can be checked in (schemas/plan.schema.json).
#include "schema.h"

#include "value_json.h"

namespace ordo {
namespace {

constexpr const char* kStepIdPattern = "^[a-z0-9][a-z0-9-]*$";
constexpr const char* kPlanNamePattern = "^[a-z0-9-]+$";
constexpr const char* kVarNamePattern = "^[a-z_][a-z0-9_]*$";
// A duration as parse_duration() reads it: "500ms", "5s", "1h30m", "1h 30m".
constexpr const char* kDurationPattern = "^( *[0-9]+ *(ms|s|m|h|d) *)+$";
// Executor parameters may also hold a `${...}` reference, checked once resolved.
constexpr const char* kParamDurationPattern = "^( *[0-9]+ *(ms|s|m|h|d) *)+$|\\$\\{";
constexpr const char* kInterpolationPattern = "\\$\\{";

Json described(const std::string& description) {
  Json j = Json::object();
  j["description"] = description;
  return j;
}

Json typed(const std::string& description, Json type) {
  Json j = described(description);
  j["type"] = std::move(type);
  return j;
}

Json duration(const std::string& description, const char* pattern = kDurationPattern) {
  Json j = typed(description, "string");
  j["pattern"] = pattern;
  return j;
}

Json string_list(const std::string& description) {
  Json j = typed(description, "array");
  j["items"] = {{"type", "string"}};
  return j;
}

Json step_refs(const std::string& description, bool allow_one) {
  Json j = typed(description, allow_one ? Json::array({"string", "array"}) : Json("array"));
  if (allow_one) j["pattern"] = kStepIdPattern;
  j["items"] = {{"type", "string"}, {"pattern", kStepIdPattern}};
  return j;
}

Json param_schema(const ParamSpec& p) {
  std::string description = p.doc;
  if (p.required)
    description += " (required)";
  else if (p.default_value)
    description += " (default " + p.default_value->to_string() + ")";
  Json j = described(description);
  switch (p.type) {
    case ParamType::String:
    case ParamType::Path:
      j["type"] = "string";
      if (!p.choices.empty())
        j["anyOf"] = Json::array({{{"enum", p.choices}}, {{"pattern", kInterpolationPattern}}});
      break;
    case ParamType::Bool:
      j["type"] = "boolean";
      break;
    case ParamType::Int:
      j["type"] = "integer";
      break;
    case ParamType::Duration:
      j["type"] = "string";
      j["pattern"] = kParamDurationPattern;
      break;
    case ParamType::StringList:
      j["type"] = "array";
      j["items"] = {{"type", "string"}};
      break;
    case ParamType::StringOrList:
      j["type"] = {"string", "array"};
      j["items"] = {{"type", "string"}};
      break;
    case ParamType::Table:
      j["type"] = "object";
      break;
    case ParamType::List:
      j["type"] = "array";
      break;
    case ParamType::Any:
      j["type"] = {"string", "number", "boolean", "array"};
      break;
  }
  if (p.default_value) j["default"] = to_json(*p.default_value);
  return j;
}

Json kind_schema(const Registry& registry) {
  Json j = typed(
      "which executor runs the step: `ordo kinds` lists them, `ordo explain KIND` "
      "documents one",
      "string");
  Json names = Json::array(), docs = Json::array();
  for (const auto& e : registry.all()) {
    names.push_back(e->spec().kind);
    docs.push_back(e->spec().summary);
  }
  j["enum"] = names;
  j["x-taplo"] = {{"docs", {{"enumValues", docs}}}};
  return j;
}

Json retries_schema() {
  Json j = typed(
      "retry a failed attempt: `retries = 2` means up to 3 attempts in all; the table "
      "form counts attempts in all, with exponential backoff",
      {"integer", "object"});
  j["minimum"] = 0;
  j["maximum"] = 999;
  Json attempts = typed("attempts in all, including the first", "integer");
  attempts["minimum"] = 1;
  attempts["maximum"] = 1000;
  j["properties"] = {
      {"attempts", attempts},
      {"backoff", duration("wait before the second attempt; doubles each time (default 1s)")},
      {"max_backoff", duration("cap for the doubling wait (default 1m)")},
      {"jitter", typed("randomise each wait between half and all of it", "boolean")},
  };
  j["additionalProperties"] = false;
  return j;
}

Json env_schema() {
  Json entry = typed(
      "a value for the variable, or { prepend = \"...\" } / { append = \"...\" } "
      "to extend a PATH-like list",
      {"string", "object"});
  entry["properties"] = {
      {"prepend", typed("put this in front of the current value (with ':')", "string")},
      {"append", typed("put this after the current value (with ':')", "string")},
  };
  entry["additionalProperties"] = false;
  entry["minProperties"] = 1;
  entry["maxProperties"] = 1;
  Json j = typed("environment variables for the step's processes: NAME = \"value\"", "object");
  j["additionalProperties"] = entry;
  return j;
}

Json outputs_schema() {
  Json from = typed("the stream to read (default \"stdout\")", "string");
  from["enum"] = {"stdout", "stderr"};
  Json entry = typed("an output: { from = \"stdout\", regex = \"...\" }", "object");
  entry["properties"] = {
      {"from", from},
      {"regex", typed("the first capture group (or the whole match) becomes the value; without "
                      "it, the trimmed stream",
                      "string")},
  };
  entry["additionalProperties"] = false;
  Json j = typed("values the step exports to later steps as ${steps.ID.outputs.NAME}", "object");
  j["additionalProperties"] = entry;
  return j;
}

// The common step keys, in the order of common_step_keys().
Json common_keys(const Registry& registry) {
  Json p = Json::object();
  for (const std::string& key : common_step_keys()) {
    if (key == "kind")
      p[key] = kind_schema(registry);
    else if (key == "description")
      p[key] = typed("one line for humans; shown in plan, graph and progress", "string");
    else if (key == "requires")
      p[key] = step_refs(
          "run after these settle and did not fail (succeeded, or skipped as not "
          "applicable); if one failed, this step is skipped",
          false);
    else if (key == "after")
      p[key] = step_refs("ordering only: run after these settle, whatever their outcome", false);
    else if (key == "on_failure")
      p[key] = step_refs(
          "a handler: run only if one of these failed or timed out; otherwise "
          "skipped as not needed",
          false);
    else if (key == "always")
      p[key] = typed(
          "cleanup: run once its dependencies settle, whatever their outcome, and "
          "also when the run is aborted",
          "boolean");
    else if (key == "watches")
      p[key] = step_refs(
          "a watcher: start when the first of these steps starts, stop when the "
          "last settles",
          true);
    else if (key == "triggered_by")
      p[key] = step_refs(
          "run only when this watcher fires (each firing, up to its limit); "
          "otherwise skipped as not triggered",
          true);
    else if (key == "when")
      p[key] = typed(
          "run only if this expression is true, e.g. \"steps.x.status == "
          "'succeeded' and facts.os_family == 'debian'\"",
          "string");
    else if (key == "timeout")
      p[key] = duration(
          "per attempt; on expiry the step's process tree gets SIGTERM, then "
          "SIGKILL after `kill_grace`");
    else if (key == "kill_grace")
      p[key] = duration(
          "time between SIGTERM and SIGKILL for a timed-out or cancelled step "
          "(default 10s)");
    else if (key == "retries")
      p[key] = retries_schema();
    else if (key == "user")
      p[key] = typed(
          "run as this Unix user, with that user's login environment (needs root "
          "unless it is the current user)",
          "string");
    else if (key == "env")
      p[key] = env_schema();
    else if (key == "venv")
      p[key] =
          typed("activate this Python virtualenv for the step (PATH and VIRTUAL_ENV)", "string");
    else if (key == "cwd")
      p[key] = typed("working directory of the step", "string");
    else if (key == "outputs")
      p[key] = outputs_schema();
    else if (key == "idempotent")
      p[key] = typed(
          "default true; false: if a crash interrupted the step, `ordo resume` asks "
          "before running it again",
          "boolean");
    else if (key == "tags")
      p[key] = string_list("free labels for --only-tags / --skip-tags");
    else if (key == "handles")
      p[key] = typed(
          "for an on_failure handler: its success counts as handling the failure, so "
          "the run does not fail because of it",
          "boolean");
    else
      p[key] = described("a common step key");
  }
  return p;
}

// if kind == K then: the common keys (by reference) and K's parameters, nothing else.
Json kind_rule(const ExecutorSpec& spec) {
  Json props = Json::object();
  Json required = Json::array();
  for (const std::string& key : common_step_keys()) {
    if (key == "watches" && !spec.watcher) continue;  // only watcher kinds may watch
    props[key] = {{"$ref", "#/definitions/step/properties/" + key}};
  }
  for (const ParamSpec& p : spec.params) {
    props[p.name] = param_schema(p);
    if (p.required) required.push_back(p.name);
  }
  if (spec.watcher) required.push_back("watches");
  Json then = described("kind \"" + spec.kind + "\": " + spec.summary);
  then["properties"] = props;
  if (!required.empty()) then["required"] = required;
  then["additionalProperties"] = false;
  Json cond = Json::object();
  cond["properties"] = {{"kind", {{"const", spec.kind}}}};
  cond["required"] = {"kind"};
  Json rule = Json::object();
  rule["if"] = cond;
  rule["then"] = then;
  return rule;
}

Json plan_schema() {
  Json name = typed(
      "the plan's name (required in the main plan file; ignored in included "
      "files)",
      "string");
  name["pattern"] = kPlanNamePattern;
  Json j = typed("what the plan is", "object");
  j["properties"] = {
      {"name", name},
      {"description", typed("one line saying what the plan does", "string")},
      {"include", string_list("files whose vars and steps are merged into this plan (paths "
                              "relative to this file)")},
  };
  j["additionalProperties"] = false;
  return j;
}

Json vars_schema() {
  Json type = typed("the variable's type", "string");
  type["enum"] = {"string", "bool", "int", "path", "list", "duration"};
  Json var = typed(
      "a variable: a default value (its type inferred), or a table { default, "
      "type, description, secret, choices }; override with --set NAME=VALUE",
      {"string", "boolean", "integer", "array", "object"});
  var["items"] = {{"type", {"string", "integer", "boolean"}}};
  var["properties"] = {
      {"default", typed("the value unless overridden (without it, the variable must be set)",
                        {"string", "boolean", "integer", "array"})},
      {"type", type},
      {"description", typed("what the variable is for", "string")},
      {"secret", typed("redact the value in output, events and reports", "boolean")},
      {"choices", string_list("the allowed values")},
  };
  var["additionalProperties"] = false;
  Json j = typed("variables, used as ${NAME} in strings and as names in `when`", "object");
  j["propertyNames"] = {{"not", {{"enum", {"steps", "facts", "vars"}}}}};
  j["patternProperties"] = {{kVarNamePattern, var}};
  j["additionalProperties"] = false;
  return j;
}

Json step_schema(const Registry& registry) {
  Json j = typed(
      "a step: `kind` names its executor; the common keys and the kind's parameters "
      "sit side by side",
      "object");
  j["required"] = {"kind"};
  j["properties"] = common_keys(registry);
  Json rules = Json::array();
  for (const auto& e : registry.all()) rules.push_back(kind_rule(e->spec()));
  j["allOf"] = rules;
  return j;
}

}  // namespace

std::string plan_json_schema(const Registry& registry) {
  Json steps = typed("the steps, by id ([a-z0-9][a-z0-9-]*)", "object");
  steps["patternProperties"] = {{kStepIdPattern, {{"$ref", "#/definitions/step"}}}};
  steps["additionalProperties"] = false;

  Json root = Json::object();
  root["$schema"] = "http://json-schema.org/draft-07/schema#";
  root["title"] = "ordo plan";
  root["description"] =
      "A plan for ordo: [plan], [vars] and [steps.ID] tables. Generated by `ordo schema` from "
      "the executor tables; do not edit by hand.";
  root["type"] = "object";
  root["properties"] = {{"plan", plan_schema()}, {"vars", vars_schema()}, {"steps", steps}};
  root["additionalProperties"] = false;
  root["definitions"] = {{"step", step_schema(registry)}};
  return root.dump(2) + "\n";
}

}  // namespace ordo
