// The doctest main of the unit test executable; kept alone so it is never recompiled.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
