// Facts about the host a plan runs on: os_id ("debian"), os_family ("debian", "rhel"),
// os_version, hostname, user. Read once from /etc/os-release and the process; overridable
// with --fact NAME=VALUE (e.g. to plan for an EL host from a Debian machine).
#pragma once

#include <map>
#include <string>

namespace ordo {

using Facts = std::map<std::string, std::string>;

// Reads the facts of this machine. `os_release` is the file to read (tests pass their own).
Facts gather_facts(const std::string& os_release = "/etc/os-release");

}  // namespace ordo
