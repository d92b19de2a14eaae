// file: one small file-system action: touch a file, make a directory, copy a file (with owner,
// group and mode), or make a symbolic link.
// The parameter table and checks are complete; run() lands in a later change.
#include <span>

#include "kinds.h"
#include "not_implemented.h"

namespace ordo {
namespace {

// One key of the `copy` / `symlink` tables.
struct SubKey {
  const char* name;
  ValueKind kind;
  bool required;
  const char* doc;
};

const SubKey kCopyKeys[] = {
    {"from", ValueKind::String, true, "the file to copy"},
    {"to", ValueKind::String, true, "the destination path"},
    {"owner", ValueKind::String, false, "the owner of the copy (a user name)"},
    {"group", ValueKind::String, false, "the group of the copy (a group name)"},
    {"mode", ValueKind::String, false, "the mode of the copy, an octal string such as \"0640\""},
    {"preserve", ValueKind::Bool, false, "keep the source's mode and timestamps"},
};
const SubKey kSymlinkKeys[] = {
    {"target", ValueKind::String, true, "what the link points to"},
    {"link", ValueKind::String, true, "the path of the link itself"},
};

std::string a_kind(ValueKind k) {
  std::string name = value_kind_name(k);
  return (name[0] == 'i' ? "an " : "a ") + name;
}

// "0640", "640", "4755": 3 or 4 octal digits, optionally after a leading 0.
bool is_octal_mode(const std::string& s) {
  std::string digits = s.size() == 5 && s[0] == '0' ? s.substr(1) : s;
  if (digits.size() < 3 || digits.size() > 4) return false;
  return digits.find_first_not_of("01234567") == std::string::npos;
}

void check_mode(const std::string& where, const Value& v, Diagnostics& diags) {
  if (v.is_int())
    diags.error(value_loc_of(v), "`" + where +
                                     "` must be an octal string such as \"0640\": a TOML "
                                     "integer like 640 is read as decimal");
  else if (v.is_string() && !has_interpolation(v) && !is_octal_mode(v.as_string()))
    diags.error(
        value_loc_of(v),
        "`" + where + "` must be an octal string such as \"0640\", not \"" + v.as_string() + "\"");
}

// Checks the members of a table parameter (`copy`, `symlink`) against its keys.
void check_sub_table(const std::string& param, const Value& table, std::span<const SubKey> keys,
                     Diagnostics& diags) {
  std::vector<std::string> names;
  std::string all;
  for (const SubKey& k : keys) {
    names.push_back(k.name);
    all += (all.empty() ? "" : ", ") + std::string(k.name);
  }
  for (const auto& [name, value] : table.as_table()) {
    const SubKey* key = nullptr;
    for (const SubKey& k : keys)
      if (name == k.name) key = &k;
    if (!key) {
      diags.error(key_loc_of(value), "unknown key '" + name + "' in `" + param + "`" +
                                         did_you_mean(name, names) + "; expected " + all);
      continue;
    }
    std::string where = param + "." + name;
    if (name == std::string("mode") && (value.is_int() || value.is_string())) {
      check_mode(where, value, diags);
    } else if (value.kind() != key->kind) {
      diags.error(value_loc_of(value),
                  "`" + where + "` must be " + a_kind(key->kind) + ", not " + a_kind(value.kind()));
    } else if (value.is_string() && value.as_string().empty()) {
      diags.error(value_loc_of(value), "`" + where + "` is empty: " + key->doc);
    }
  }
  for (const SubKey& k : keys)
    if (k.required && !table.find(k.name))
      diags.error(value_loc_of(table),
                  "`" + param + "` needs `" + k.name + "`: " + std::string(k.doc));
}

class FileExecutor final : public Executor {
 public:
  const ExecutorSpec& spec() const override {
    static const ExecutorSpec s{
        .kind = "file",
        .summary = "touch a file, make a directory, copy a file or make a symlink",
        .doc =
            "Does exactly one of: `touch` (create the file if missing and set its "
            "modification time to now, like touch(1): touching the uWSGI `touch-reload` "
            "file reloads Indico), `mkdir` (create the directory and its missing parents, "
            "like mkdir -p), `copy = { from, to, owner, group, mode, preserve }` (copy a "
            "file; `owner` and `group` are names, `mode` an octal string such as \"0640\", "
            "`preserve = true` keeps the source's mode and timestamps), or `symlink = { "
            "target, link }` (make `link` a symbolic link to `target`, replacing an "
            "existing symbolic link at `link`, but never a file or directory). Paths "
            "starting with ~ are relative to the home of the step's `user`, and the action "
            "runs as that user.",
        .params =
            {
                {.name = "touch",
                 .type = ParamType::Path,
                 .required = false,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "create this file if missing and update its modification time"},
                {.name = "mkdir",
                 .type = ParamType::Path,
                 .required = false,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "create this directory and its missing parents"},
                {.name = "copy",
                 .type = ParamType::Table,
                 .required = false,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "{ from, to, owner, group, mode, preserve }: copy a file (mode as an "
                        "octal string such as \"0640\")"},
                {.name = "symlink",
                 .type = ParamType::Table,
                 .required = false,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "{ target, link }: make `link` a symbolic link to `target`"},
            },
        .outputs = {},
        .watcher = false,
        .example =
            "[steps.reload-uwsgi]\nkind = \"file\"\nuser = \"${indico_user}\"\ntouch = "
            "\"~/web/indico.wsgi\"\n\n[steps.install-conf]\nkind = \"file\"\ncopy = { "
            "from = \"indico.conf.new\", to = \"/opt/indico/etc/indico.conf\", owner = "
            "\"indico\", mode = \"0640\" }\n",
    };
    return s;
  }

  void check(const StepDecl& step, Diagnostics& diags) const override {
    auto actions = params_present(step.params, {"touch", "mkdir", "copy", "symlink"});
    if (actions.empty())
      diags.error(step.loc,
                  "a file step needs one of `touch`, `mkdir`, `copy`, `symlink`: what to do");
    for (size_t i = 1; i < actions.size(); ++i)
      diags.error(key_loc_of(actions[i]->second),
                  "a file step does one thing: `" + actions[0]->first + "` and `" +
                      actions[i]->first + "` cannot be combined (use two steps)");
    for (const auto* a : actions) {
      const Value& v = a->second;
      if ((a->first == "touch" || a->first == "mkdir") && v.is_string() && v.as_string().empty())
        diags.error(value_loc_of(v), "`" + a->first + "` is empty: give a path");
      if (a->first == "copy" && v.is_table()) check_sub_table("copy", v, kCopyKeys, diags);
      if (a->first == "symlink" && v.is_table()) check_sub_table("symlink", v, kSymlinkKeys, diags);
    }
  }

  Outcome run(StepContext&) const override { return not_implemented_yet("file"); }
};

}  // namespace

std::unique_ptr<Executor> make_file_executor() {
  return std::make_unique<FileExecutor>();
}

}  // namespace ordo
