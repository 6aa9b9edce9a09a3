/* Linking: contexts from model callbacks, wrappers, annotations, and chains. */
#include <stdlib.h>
#include <string.h>

#include "../../lint/graph/program.h"
#include "unit.h"

ir_summary *unit_parse(const char *name, const char *code);

static const char *model =
    "{\"model\": \"t\", \"functions\": {\n"
    "  \"loop_register\": {\"callbacks\": [{\"arg\": 0, \"context\": \"loop\"}]},\n"
    "  \"offload\": {\"callbacks\": [{\"arg\": 0, \"context\": \"worker\"}]},\n"
    "  \"each\": {\"invokes\": [0]}}}";

static int fn_named(const program *p, const char *name) {
  for (unsigned i = 0; i < p->nfns; i++)
    if (strcmp(p->fns[i].fn->name, name) == 0) return (int)i;
  return -1;
}

static void test_contexts(void) {
  ir_summary *a = unit_parse("ga.c",
                             "void loop_register(void (*)(void)); void offload(void (*)(void)); void each(void (*)(void));\n"
                             "void shared(void); void deep(void);\n"
                             "static void on_event(void) { shared(); }\n"
                             "static void in_thread(void) { shared(); }\n"
                             "static void visitor(void) {}\n"
                             "static void wrap(void (*cb)(void)) { loop_register(cb); }\n"
                             "static void later(void) { each(visitor); }\n"
                             "__attribute__((annotate(\"calm::async\"))) void annotated(void) {}\n"
                             "int main(void) { loop_register(on_event); offload(in_thread); wrap(later); return 0; }\n");
  ir_summary *b = unit_parse("gb.c", "void deep(void) {}\nvoid shared(void) { deep(); }\nvoid unused(void) {}\n");
  ir_summary *tus[] = {a, b};
  model_db *db = model_db_new();
  char *err = NULL;
  CU_ASSERT_EQUAL_FATAL(model_db_load(db, model, "t.json", &err), 0);
  program *p = program_link(tus, 2, db);
  int on_event = fn_named(p, "on_event"), in_thread = fn_named(p, "in_thread"), deep = fn_named(p, "deep");
  int later = fn_named(p, "later"), visitor = fn_named(p, "visitor"), annotated = fn_named(p, "annotated");
  int mainf = fn_named(p, "main"), unused = fn_named(p, "unused");
  CU_ASSERT_FATAL(on_event >= 0 && in_thread >= 0 && deep >= 0 && later >= 0 && visitor >= 0 && mainf >= 0);
  CU_ASSERT_EQUAL(p->fns[on_event].contexts, CTX_LOOP);
  CU_ASSERT_EQUAL(p->fns[in_thread].contexts, CTX_WORKER);
  CU_ASSERT_EQUAL(p->fns[deep].contexts, CTX_LOOP | CTX_WORKER); /* across translation units */
  CU_ASSERT_EQUAL(p->fns[later].contexts, CTX_LOOP);            /* through the wrapper's parameter */
  CU_ASSERT_EQUAL(p->fns[visitor].contexts, CTX_LOOP);          /* invoked synchronously */
  CU_ASSERT_EQUAL(p->fns[annotated].contexts, CTX_LOOP);
  CU_ASSERT_EQUAL(p->fns[mainf].contexts, 0);
  CU_ASSERT_EQUAL(p->fns[unused].contexts, 0);

  chain_step *steps;
  int root;
  unsigned n = program_chain(p, deep, CTX_LOOP, &steps, &root);
  CU_ASSERT_EQUAL_FATAL(n, 3);
  CU_ASSERT_EQUAL(steps[0].fn, on_event);
  CU_ASSERT_STRING_EQUAL(p->fns[steps[1].fn].fn->name, "shared");
  CU_ASSERT_EQUAL(steps[2].fn, deep);
  CU_ASSERT_FATAL(root >= 0);
  CU_ASSERT_STRING_EQUAL(p->roots[root].via, "loop_register");
  CU_ASSERT_EQUAL(p->roots[root].site.line, 9);
  free(steps);
  program_free(p);
  model_db_free(db);
  ir_summary_free(a);
  ir_summary_free(b);
}

/* Indirect calls: resolved by record field (never a same-named field of another
 * record), by what callers pass, by what is returned; unresolved calls stay so. */
static void test_indirect_calls(void) {
  ir_summary *a = unit_parse("ia.c",
                             "void loop_register(void (*)(void));\n"
                             "struct ops { void (*run)(void); };\n"
                             "struct other { void (*run)(void); };\n"
                             "void fast(void) {} void slow(void) {} void by_param(void) {} void by_return(void) {}\n"
                             "static struct ops ops = { fast };\n"
                             "struct other other = { .run = slow };\n"
                             "static void call_it(void (*f)(void)) { f(); }\n"
                             "static void (*pick(void))(void) { return by_return; }\n"
                             "static void on_event(void) {\n"
                             "  ops.run();\n"
                             "  call_it(by_param);\n"
                             "  void (*g)(void) = pick();\n"
                             "  g();\n"
                             "  void (*unknown)(void) = 0;\n"
                             "  unknown();\n"
                             "}\n"
                             "int main(void) { loop_register(on_event); other.run(); return 0; }\n");
  ir_summary *tus[] = {a};
  model_db *db = model_db_new();
  char *err = NULL;
  CU_ASSERT_EQUAL_FATAL(model_db_load(db, model, "t.json", &err), 0);
  program *p = program_link(tus, 1, db);
  int fast = fn_named(p, "fast"), slow = fn_named(p, "slow"), by_param = fn_named(p, "by_param");
  int by_return = fn_named(p, "by_return");
  CU_ASSERT_FATAL(fast >= 0 && slow >= 0 && by_param >= 0 && by_return >= 0);
  CU_ASSERT_EQUAL(p->fns[fast].contexts, CTX_LOOP);
  CU_ASSERT_EQUAL(p->fns[slow].contexts, 0); /* struct other's run is only called from main */
  CU_ASSERT_EQUAL(p->fns[by_param].contexts, CTX_LOOP);
  CU_ASSERT_EQUAL(p->fns[by_return].contexts, CTX_LOOP);
  indirect_stats st = indirect_get_stats(p->ind);
  CU_ASSERT_EQUAL(st.calls, 5);    /* ops.run, f, g, unknown, other.run */
  CU_ASSERT_EQUAL(st.resolved, 4); /* not `unknown` */
  CU_ASSERT_EQUAL(st.targets, 4);
  program_free(p);
  model_db_free(db);
  ir_summary_free(a);
}

static int count_named(const program *p, const char *name) {
  int n = 0;
  for (unsigned i = 0; i < p->nfns; i++) n += strcmp(p->fns[i].fn->name, name) == 0;
  return n;
}

static int64_t returned(const ir_summary *s, const char *name) {
  for (unsigned i = 0; i < s->nfuncs; i++)
    if (strcmp(s->funcs[i].name, name) == 0)
      for (unsigned b = 0; b < s->funcs[i].nblocks; b++)
        for (unsigned k = 0; k < s->funcs[i].blocks[b].nops; k++)
          if (s->funcs[i].blocks[b].ops[k].kind == IR_OP_RETURN) return s->funcs[i].blocks[b].ops[k].val.ival;
  return -1;
}

/* A header's static inline functions: each unit's summary has them all; the program has
 * one `helper`, and two `width`, which a macro defined above the #include changes. */
static void test_header_copies(void) {
  free(unit_write("copies.h", "#ifndef COPIES_H\n#define COPIES_H\n"
                              "static inline int twice(int v) { return v * 2; }\n"
                              "static inline int helper(int v) { return twice(v) + 1; }\n"
                              "#ifdef WIDE\nstatic inline int width(void) { return 8; }\n"
                              "#else\nstatic inline int width(void) { return 4; }\n#endif\n#endif\n"));
  ir_summary *a = unit_parse("copies_a.c", "#include \"copies.h\"\nint a(void) { return helper(width()); }\n");
  ir_summary *b = unit_parse("copies_b.c", "#include \"copies.h\"\nint b(void) { return helper(2); }\n");
  ir_summary *c =
      unit_parse("copies_c.c", "#define WIDE\n#include \"copies.h\"\nint c(void) { return helper(width()); }\n");
  CU_ASSERT_EQUAL(a->nfuncs, 4);
  CU_ASSERT_EQUAL(b->nfuncs, 4);
  CU_ASSERT_EQUAL(c->nfuncs, 4);
  CU_ASSERT_EQUAL(returned(a, "width"), 4);
  CU_ASSERT_EQUAL(returned(b, "width"), 4);
  CU_ASSERT_EQUAL(returned(c, "width"), 8); /* not a's copy */
  ir_summary *tus[] = {a, b, c};
  model_db *db = model_db_new();
  program *p = program_link(tus, 3, db);
  CU_ASSERT_EQUAL(count_named(p, "helper"), 1);
  CU_ASSERT_EQUAL(count_named(p, "twice"), 1);
  CU_ASSERT_EQUAL(count_named(p, "width"), 3); /* the copies differ: each unit keeps its own */
  int cf = fn_named(p, "c"), targets[4];
  CU_ASSERT_FATAL(cf >= 0);
  unsigned n = program_call_targets(p, cf, 0, targets, 4); /* width() */
  CU_ASSERT_EQUAL_FATAL(n, 1);
  CU_ASSERT_PTR_EQUAL(p->fns[targets[0]].tu, c);
  program_free(p);
  model_db_free(db);
  ir_summary_free(a);
  ir_summary_free(b);
  ir_summary_free(c);
}

void unit_register_graph(void) {
  CU_pSuite s = CU_add_suite("graph", NULL, NULL);
  CU_add_test(s, "contexts and chains", test_contexts);
  CU_add_test(s, "indirect calls", test_indirect_calls);
  CU_add_test(s, "header copies", test_header_copies);
}
