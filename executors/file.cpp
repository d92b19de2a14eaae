// file: one small file-system action: touch a file, make a directory, copy a file (with owner,
// group and mode), or make a symbolic link. The work is done by coreutils (touch, mkdir, cp,
// chown, chmod, find, ln) run through run_process as the step's user.
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include <span>

#include "child_env.h"
#include "kinds.h"
#include "not_implemented.h"
#include "process_outcome.h"
#include "run_params.h"

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
    {"from", ValueKind::String, true, "the file or directory to copy"},
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

// "0640" -> 0640; -1 when not an octal mode.
int parse_mode(const std::string& s) {
  if (!is_octal_mode(s)) return -1;
  return static_cast<int>(std::stoul(s, nullptr, 8));
}

std::string octal(int mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode) & 07777u);
  return buf;
}

// A directory's mode under a copy's `mode`: the same, plus x wherever r is granted.
int dir_mode(int mode) {
  return mode | ((mode & 0444) >> 2);
}

bool user_exists(const std::string& name) {
  passwd pw{}, *found = nullptr;
  char buf[4096];
  return ::getpwnam_r(name.c_str(), &pw, buf, sizeof buf, &found) == 0 && found;
}
bool group_exists(const std::string& name) {
  group gr{}, *found = nullptr;
  char buf[4096];
  return ::getgrnam_r(name.c_str(), &gr, buf, sizeof buf, &found) == 0 && found;
}

// Owner, group and mode to apply; empty/-1: leave alone.
struct Attrs {
  std::string owner, group;
  int mode = -1;
  std::string mode_text;  // as written, for messages
};

// One run of a file step: the commands it runs, as the step's user.
class FileRun {
 public:
  explicit FileRun(StepContext& ctx) : ctx_(ctx) {}

  Outcome run() {
    const ValueTable& p = ctx_.params;
    if (const Value* v = table_find(p, "touch"); v && v->is_string()) return touch(v->as_string());
    if (const Value* v = table_find(p, "mkdir"); v && v->is_string()) return mkdir(v->as_string());
    if (const Value* v = table_find(p, "copy"); v && v->is_table()) return copy(*v);
    if (const Value* v = table_find(p, "symlink"); v && v->is_table()) return symlink(*v);
    return Outcome::failed("a file step needs one of `touch`, `mkdir`, `copy`, `symlink`");
  }

 private:
  // Runs one command; the step's outcome when it failed.
  std::optional<Outcome> sh(std::vector<std::string> argv) {
    const std::string what = argv[0];
    ProcessResult r = run_process(command_spec(ctx_, std::move(argv)));
    if (command_ok(r)) return std::nullopt;
    return command_failure(ctx_, r, started_, what);
  }

  // Reads owner/group/mode from `where` (the step's params or the copy table).
  std::optional<Outcome> read_attrs(const ValueTable& where, const std::string& prefix, Attrs& a) {
    a.owner = param_string(where, "owner");
    a.group = param_string(where, "group");
    a.mode_text = param_string(where, "mode");
    if (!a.owner.empty() && !user_exists(a.owner))
      return Outcome::failed("no such user '" + a.owner + "' (" + prefix + "owner)");
    if (!a.group.empty() && !group_exists(a.group))
      return Outcome::failed("no such group '" + a.group + "' (" + prefix + "group)");
    if (!a.mode_text.empty() && (a.mode = parse_mode(a.mode_text)) < 0)
      return Outcome::failed("`" + prefix +
                             "mode` must be an octal string such as \"0640\", not \"" +
                             a.mode_text + "\"");
    return std::nullopt;
  }

  std::string owner_spec(const Attrs& a) const {
    return a.group.empty() ? a.owner : a.owner + ":" + a.group;
  }

  // owner/group/mode on one path (touch, mkdir).
  std::optional<Outcome> apply(const Attrs& a, const std::string& path) {
    if (!a.owner.empty() || !a.group.empty())
      if (auto bad = sh({"chown", "--", owner_spec(a), path})) return bad;
    if (a.mode >= 0)
      if (auto bad = sh({"chmod", "--", octal(a.mode), path})) return bad;
    return std::nullopt;
  }

  Outcome touch(const std::string& given) {
    const std::string path = step_path(ctx_, given);
    Attrs a;
    if (auto bad = read_attrs(ctx_.params, "", a)) return *bad;
    if (auto bad = sh({"touch", "--", path})) return *bad;
    if (auto bad = apply(a, path)) return *bad;
    ctx_.output(OutputStream::Info, "touched " + path);
    return Outcome::succeeded();
  }

  Outcome mkdir(const std::string& given) {
    const std::string path = step_path(ctx_, given);
    Attrs a;
    if (auto bad = read_attrs(ctx_.params, "", a)) return *bad;
    if (auto bad = sh({"mkdir", "-p", "--", path})) return *bad;
    if (auto bad = apply(a, path)) return *bad;
    ctx_.output(OutputStream::Info, "directory " + path + " is there");
    return Outcome::succeeded();
  }

  Outcome copy(const Value& table) {
    const ValueTable& t = table.as_table();
    const std::string from = step_path(ctx_, param_string(t, "from"));
    const std::string to_given = param_string(t, "to");
    std::string to = step_path(ctx_, to_given);
    if (from.empty() || to.empty()) return Outcome::failed("`copy` needs `from` and `to`");
    Attrs a;
    if (auto bad = read_attrs(t, "copy.", a)) return *bad;
    const bool preserve = param_bool(t, "preserve", false);

    struct stat st {};
    const bool from_is_dir = ::stat(from.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    if (!from_is_dir &&
        (to_given.ends_with('/') || (::stat(to.c_str(), &st) == 0 && S_ISDIR(st.st_mode)))) {
      while (to.size() > 1 && to.ends_with('/')) to.pop_back();
      const size_t slash = from.rfind('/');
      to += "/" + from.substr(slash + 1);
    }
    while (to.size() > 1 && to.ends_with('/')) to.pop_back();

    // -T: `to` is the copy itself, never a directory to copy into.
    if (auto bad = sh({"cp", preserve ? "-a" : "-R", "-T", "--", from, to})) return *bad;
    if (!a.owner.empty() || !a.group.empty())
      if (auto bad = sh({"chown", "-R", "-h", "--", owner_spec(a), to})) return *bad;
    if (a.mode >= 0) {
      if (from_is_dir) {
        // Directories first (so a mode without r for the user still lets find descend).
        if (auto bad = sh(
                {"find", to, "-type", "d", "-exec", "chmod", octal(dir_mode(a.mode)), "{}", "+"}))
          return *bad;
        if (auto bad = sh({"find", to, "!", "-type", "d", "!", "-type", "l", "-exec", "chmod",
                           octal(a.mode), "{}", "+"}))
          return *bad;
      } else if (auto bad = sh({"chmod", "--", octal(a.mode), to})) {
        return *bad;
      }
    }
    ctx_.output(OutputStream::Info, "copied " + from + " to " + to);
    return Outcome::succeeded();
  }

  Outcome symlink(const Value& table) {
    const ValueTable& t = table.as_table();
    std::string target = param_string(t, "target");
    if (target.starts_with("~")) target = ctx_.expand_path(target);  // relative stays relative
    const std::string link = step_path(ctx_, param_string(t, "link"));
    if (target.empty() || link.empty())
      return Outcome::failed("`symlink` needs `target` and `link`");
    struct stat st {};
    if (::lstat(link.c_str(), &st) == 0 && !S_ISLNK(st.st_mode))
      return Outcome::failed(link + " exists and is not a symbolic link: refusing to replace it");
    // -n: an existing link to a directory is replaced, not followed.
    if (auto bad = sh({"ln", "-s", "-f", "-n", "--", target, link})) return *bad;
    ctx_.output(OutputStream::Info, link + " -> " + target);
    return Outcome::succeeded();
  }

  StepContext& ctx_;
  const Clock::time_point started_ = Clock::now();
};

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
            "file or, recursively, a directory), or `symlink = { target, link }` (make "
            "`link` a symbolic link to `target`, replacing an existing symbolic link at "
            "`link`, but never a file or directory). `copy`: `to` is the path of the copy "
            "(a directory copied onto an existing directory merges into it), except that a "
            "file copied to an existing directory (or a `to` ending in '/') lands inside "
            "it. `preserve = true` keeps the source's mode, timestamps and symbolic links "
            "and, when allowed (as root), its owner and group (cp -a). `owner` and `group` "
            "(names) are then applied to the copy and everything under it, and `mode` (an "
            "octal string such as \"0640\") to every file in it, while its directories get "
            "the same mode plus the search (x) bit wherever it grants read (\"0640\" -> "
            "0750 for directories). For `touch` and `mkdir`, the top-level `mode`, `owner` "
            "and `group` set the file or directory itself (whether it was created or "
            "already there); directories that mkdir creates on the way keep the defaults. "
            "Paths starting with ~ are relative to the home of the step's `user`, relative "
            "paths to its `cwd`; the action runs as that user, so `owner` and `group` other "
            "than the user's own need root.",
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
                 .doc = "{ from, to, owner, group, mode, preserve }: copy a file or a "
                        "directory tree (mode as an octal string such as \"0640\")"},
                {.name = "symlink",
                 .type = ParamType::Table,
                 .required = false,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "{ target, link }: make `link` a symbolic link to `target`"},
                {.name = "mode",
                 .type = ParamType::String,
                 .required = false,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "with `touch` or `mkdir`: the mode of the file or directory, an octal "
                        "string such as \"0750\""},
                {.name = "owner",
                 .type = ParamType::String,
                 .required = false,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "with `touch` or `mkdir`: the owner of the file or directory (a user "
                        "name)"},
                {.name = "group",
                 .type = ParamType::String,
                 .required = false,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "with `touch` or `mkdir`: the group of the file or directory (a group "
                        "name)"},
            },
        .outputs = {},
        .watcher = false,
        .example =
            "[steps.reload-uwsgi]\nkind = \"file\"\nuser = \"${indico_user}\"\ntouch = "
            "\"~/web/indico.wsgi\"\n\n[steps.install-conf]\nkind = \"file\"\ncopy = { "
            "from = \"indico.conf.new\", to = \"/opt/indico/etc/indico.conf\", owner = "
            "\"indico\", mode = \"0640\" }\n\n[steps.restore-archive]\nkind = \"file\"\ncopy = { "
            "from = \"/mnt/old/opt/indico/archive\", to = \"/opt/indico/archive\", owner = "
            "\"indico\", group = \"www-data\", mode = \"0640\" }   # directories get 0750\n\n"
            "[steps.backup-dir]\nkind = \"file\"\nmkdir = \"/var/backups/indico\"\nmode = "
            "\"0750\"\nowner = \"postgres\"\n",
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
    for (const auto* attr : params_present(step.params, {"mode", "owner", "group"})) {
      const Value& v = attr->second;
      if (attr->first == "mode" && v.is_string())
        check_mode("mode", v, diags);
      else if (v.is_string() && v.as_string().empty())
        diags.error(value_loc_of(v), "`" + attr->first + "` is empty: give a name");
      if (!actions.empty() && (actions[0]->first == "copy" || actions[0]->first == "symlink"))
        diags.error(key_loc_of(v), "`" + attr->first + "` applies to `touch` and `mkdir`" +
                                       (actions[0]->first == "copy"
                                            ? ": for `copy` put it inside the table, copy = { "
                                              "..., " +
                                                  attr->first + " = ... }"
                                            : ": a symbolic link has none of its own"));
    }
  }

  Outcome run(StepContext& ctx) const override { return FileRun(ctx).run(); }
};

}  // namespace

std::unique_ptr<Executor> make_file_executor() {
  return std::make_unique<FileExecutor>();
}

}  // namespace ordo
