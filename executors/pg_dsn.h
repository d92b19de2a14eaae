// The DSN helpers the PostgreSQL executors share: hiding a password before a DSN reaches a
// message or log, and reading the database URI out of an Indico server's indico.conf.
// Pure functions: no libpq, no state; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "result.h"

namespace ordo {

// The DSN with any password replaced by "***": the userinfo password and `password=` query
// parameter of a URI, the `password` keyword of a key=value conninfo. For messages and logs.
std::string redact_dsn(std::string_view dsn);

// The libpq URI in an indico.conf's `SQLALCHEMY_DATABASE_URI = '...'` line (Python syntax:
// single or double quotes, optional r prefix, trailing comment; the last assignment wins). A
// SQLAlchemy driver suffix ("postgresql+psycopg2://") is dropped. `where` names the file in
// errors.
Result<std::string> parse_indico_conf_dsn(std::string_view text, const std::string& where);
// Reads the file, then parse_indico_conf_dsn. Errors name the file.
Result<std::string> read_indico_conf_dsn(const std::string& path);

}  // namespace ordo
