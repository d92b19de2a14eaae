// The `ordo` command line: ordo_main() parses arguments (CLI11, only in app.cpp) and calls the
// subcommand functions declared in commands.h. Returns the process exit code.
#pragma once

namespace ordo::cli {

int ordo_main(int argc, char** argv);

}  // namespace ordo::cli
