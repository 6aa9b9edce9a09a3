/* One run of calm-lint, from the command line to the exit status. */
#ifndef CALM_LINT_RUN_H
#define CALM_LINT_RUN_H

/* Returns the exit status: 0 no findings, 1 findings, 2 usage, configuration or
 * parse errors. */
int calm_lint_main(int argc, char **argv);

#endif
