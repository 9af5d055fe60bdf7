#pragma once
// Symbols are hidden by default (-fvisibility=hidden); EMBER_API marks the public ones.
#if defined(_WIN32)
#define EMBER_API __declspec(dllexport)
#else
#define EMBER_API __attribute__((visibility("default")))
#endif
