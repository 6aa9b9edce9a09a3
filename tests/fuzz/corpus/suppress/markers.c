int a; // NOLINT
int b; // NOLINT(blocking-in-loop, unawaited-task)
// NOLINTNEXTLINE(*)
int c;
/* NOLINTBEGIN(blocking-in-loop) */
int d;
/* NOLINTEND(blocking-in-loop) */
// NOLINTEND
