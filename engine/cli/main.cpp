#include "app.h"

int main(int argc, char** argv) {
  return ordo::cli::ordo_main(argc, argv);
}
