/* calm-lint's entry point. */
#include "run.h"

int main(int argc, char **argv) { return calm_lint_main(argc, argv); }
