// Catch2 v2 is header-only: exactly one translation unit expands its main(). Catch2 v3 links
// Catch2::Catch2WithMain instead, so this file is empty there.
#if !defined(EMBER_CATCH2_V3)
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
#endif
