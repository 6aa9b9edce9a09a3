/* The front end: what the IR says about small C snippets. */
#include <stdlib.h>
#include <string.h>

#include "../../lint/frontend/frontend.h"
#include "unit.h"

ir_summary *unit_parse(const char *name, const char *code);
void unit_check_round_trip(const ir_summary *s);
const ir_function *unit_function(const ir_summary *s, const char *name);

ir_summary *unit_parse(const char *name, const char *code) {
  char *path = unit_write(name, code);
  char *args[] = {"-std=c11", "-D_GNU_SOURCE"};
  compile_job job = {path, (char *)unit_scratch(), args, 2};
  CXIndex index = clang_createIndex(0, 0);
  ir_summary *s = frontend_parse(index, &job, NULL, 0);
  clang_disposeIndex(index);
  free(path);
  return s;
}

const ir_function *unit_function(const ir_summary *s, const char *name) {
  for (unsigned i = 0; i < s->nfuncs; i++)
    if (strcmp(s->funcs[i].name, name) == 0) return &s->funcs[i];
  return NULL;
}

static int var_named(const ir_function *f, const char *name) {
  for (unsigned i = 0; i < f->nvars; i++)
    if (strcmp(f->vars[i].name, name) == 0) return (int)i;
  return -1;
}

static const ir_call *call_named(const ir_function *f, const char *name) {
  for (unsigned i = 0; i < f->ncalls; i++)
    if (strcmp(f->calls[i].callee_name, name) == 0) return &f->calls[i];
  return NULL;
}

/* The conditional block testing `var`, or NULL. */
static const ir_block *cond_on(const ir_function *f, int var) {
  for (unsigned i = 0; i < f->nblocks; i++)
    if (f->blocks[i].term == IR_TERM_COND && f->blocks[i].cond_var == var) return &f->blocks[i];
  return NULL;
}

static void test_calls_and_results(void) {
  ir_summary *s = unit_parse("calls.c",
                             "int get(void); void put(int);\n"
                             "typedef void (*cb)(int);\n"
                             "int reg(cb f, void *p, int n);\n"
                             "int f(int *out) {\n"
                             "  int rc = get();\n"
                             "  get();\n"
                             "  (void)get();\n"
                             "  put(get());\n"
                             "  reg(put, (void *)0, -125);\n"
                             "  *out = rc;\n"
                             "  return rc;\n"
                             "}\n");
  const ir_function *f = unit_function(s, "f");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  CU_ASSERT_FALSE(s->failed);
  CU_ASSERT_EQUAL(f->nparams, 1);
  CU_ASSERT_EQUAL_FATAL(f->ncalls, 6);
  int rc = var_named(f, "rc");
  CU_ASSERT(f->calls[0].use == IR_USE_VAR && f->calls[0].dest == rc);
  CU_ASSERT_EQUAL(f->calls[1].use, IR_USE_DISCARDED);
  CU_ASSERT_EQUAL(f->calls[2].use, IR_USE_VOIDED);
  /* get() as an argument lands in a temp that put() reads */
  CU_ASSERT_EQUAL(f->calls[3].use, IR_USE_VAR);
  CU_ASSERT(f->vars[f->calls[3].dest].is_temp);
  CU_ASSERT_EQUAL(f->calls[4].use, IR_USE_VOID_TYPE);
  CU_ASSERT(f->calls[4].nargs == 1 && f->calls[4].args[0].kind == IR_VAL_VAR);
  const ir_call *r = &f->calls[5];
  CU_ASSERT_STRING_EQUAL(r->callee_name, "reg");
  CU_ASSERT_EQUAL(r->args[0].kind, IR_VAL_FUNC);
  CU_ASSERT_STRING_EQUAL(r->args[0].func_name, "put");
  CU_ASSERT_EQUAL(r->args[1].kind, IR_VAL_NULL);
  CU_ASSERT(r->args[2].kind == IR_VAL_INT && r->args[2].ival == -125);
  CU_ASSERT_STRING_EQUAL(r->args[2].text, "-125");
  /* `*out = rc` stores rc into memory */
  bool escaped = false, returned = false;
  for (unsigned b = 0; b < f->nblocks; b++)
    for (unsigned i = 0; i < f->blocks[b].nops; i++) {
      const ir_op *op = &f->blocks[b].ops[i];
      escaped |= op->kind == IR_OP_ESCAPE && op->var == rc;
      returned |= op->kind == IR_OP_RETURN && op->val.kind == IR_VAL_VAR && op->val.var == rc;
    }
  CU_ASSERT(escaped);
  CU_ASSERT(returned);
  ir_summary_free(s);
}

static void test_conditions_split(void) {
  ir_summary *s = unit_parse("cond.c",
                             "#define ECANCELED_ (-125)\n"
                             "int step(void);\n"
                             "int f(void) {\n"
                             "  int rc = step();\n"
                             "  if (rc == ECANCELED_ || !rc) return rc;\n"
                             "  if ((rc = step()) < 0) return rc;\n"
                             "  return 0;\n"
                             "}\n");
  const ir_function *f = unit_function(s, "f");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  int rc = var_named(f, "rc");
  int eq = 0, ne = 0, lt = 0;
  for (unsigned i = 0; i < f->nblocks; i++) {
    const ir_block *b = &f->blocks[i];
    if (b->term != IR_TERM_COND || b->cond_var != rc) continue;
    if (b->cond_op == IR_CMP_EQ && b->cond_k == -125) eq++;
    if (b->cond_op == IR_CMP_NE && b->cond_k == 0) ne++; /* !rc: rc != 0 with the edges swapped */
    if (b->cond_op == IR_CMP_LT && b->cond_k == 0) lt++;
  }
  CU_ASSERT_EQUAL(eq, 1);
  CU_ASSERT_EQUAL(ne, 1);
  CU_ASSERT_EQUAL(lt, 1);
  ir_summary_free(s);
}

static void test_loops_switch_goto(void) {
  ir_summary *s = unit_parse("flow.c",
                             "int step(int);\n"
                             "int f(int n) {\n"
                             "  int rc = 0;\n"
                             "  for (int i = 0; i < 10; i++) {\n"
                             "    rc = step(i);\n"
                             "    if (rc) goto out;\n"
                             "  }\n"
                             "  switch (rc) { case 1: rc = 2; break; case -125: return rc; default: break; }\n"
                             "out:\n"
                             "  return rc;\n"
                             "}\n");
  const ir_function *f = unit_function(s, "f");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  unsigned backs = 0, heads = 0;
  for (unsigned i = 0; i < f->nblocks; i++) {
    backs += f->blocks[i].back[0] + f->blocks[i].back[1];
    heads += f->blocks[i].loop_head;
  }
  CU_ASSERT_EQUAL(backs, 1);
  CU_ASSERT_EQUAL(heads, 1);
  int i = var_named(f, "i"), rc = var_named(f, "rc");
  const ir_block *loop = cond_on(f, i);
  CU_ASSERT(loop && loop->cond_op == IR_CMP_LT);
  int cases = 0;
  for (unsigned b = 0; b < f->nblocks; b++)
    if (f->blocks[b].term == IR_TERM_COND && f->blocks[b].cond_var == rc && f->blocks[b].cond_op == IR_CMP_EQ) cases++;
  CU_ASSERT_EQUAL(cases, 2);
  ir_summary_free(s);
}

static void test_noreturn_and_attrs(void) {
  ir_summary *s = unit_parse("attrs.c",
                             "#include <stdlib.h>\n"
                             "__attribute__((annotate(\"calm::async\"))) void cb(int x);\n"
                             "__attribute__((annotate(\"calm::blocking\"))) int slow(void);\n"
                             "void cb(int x) { if (x) abort(); slow(); }\n");
  const ir_function *f = unit_function(s, "cb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  CU_ASSERT(f->attrs & IR_ATTR_ASYNC);
  const ir_call *a = call_named(f, "abort"), *sl = call_named(f, "slow");
  CU_ASSERT_PTR_NOT_NULL_FATAL(a);
  CU_ASSERT(a->callee_attrs & IR_ATTR_NORETURN);
  CU_ASSERT_EQUAL(f->blocks[a->block].term, IR_TERM_STOP);
  CU_ASSERT(sl && (sl->callee_attrs & IR_ATTR_BLOCKING));
  ir_summary_free(s);
}

/* Reads of `v` in `f`. */
static int reads_of(const ir_function *f, int v) {
  int n = 0;
  for (unsigned i = 0; i < f->nblocks; i++)
    for (unsigned j = 0; j < f->blocks[i].nops; j++)
      n += f->blocks[i].ops[j].kind == IR_OP_READ && f->blocks[i].ops[j].var == v;
  return n;
}

/* A constant operand of an expression that is not constant is its value: the array
 * `sizeof a / sizeof a[0]` names is not read. A chain of 20 000 operators (generated
 * code) is lowered without evaluating each level again; its function is there. */
static void test_constant_operands(void) {
  strbuf chain = {0};
  sb_printf(&chain, "int f(int x) {\n  int a[4];\n  return x * 2 + sizeof a / sizeof a[0];\n}\n");
  sb_printf(&chain, "int g(int x) { return x");
  for (int i = 0; i < 20000; i++) sb_printf(&chain, " + 1");
  sb_printf(&chain, "; }\n");
  ir_summary *s = unit_parse("const.c", chain.data);
  sb_free(&chain);
  const ir_function *f = unit_function(s, "f");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  CU_ASSERT_EQUAL(reads_of(f, var_named(f, "a")), 0);
  CU_ASSERT_EQUAL(reads_of(f, var_named(f, "x")), 1);
  CU_ASSERT_PTR_NOT_NULL(unit_function(s, "g"));
  ir_summary_free(s);
}

static void test_parse_error(void) {
  ir_summary *s = unit_parse("broken.c", "#include \"missing-header.h\"\nint f(void) { return 0; }\n");
  CU_ASSERT(s->failed);
  CU_ASSERT(s->nerrors >= 1);
  CU_ASSERT(s->nerrors && strstr(s->errors[0].message, "missing-header.h") != NULL);
  CU_ASSERT_PTR_NOT_NULL(unit_function(s, "f")); /* clang kept going */
  ir_summary_free(s);
}


/* Whether `stores` (n of them) puts function `fn` into the slot whose key is `key`
 * (a field or global USR), or into variable `var` when key is NULL. */
static bool stores_fn(const ir_store *st, unsigned n, const char *key, int var, const char *fn) {
  for (unsigned i = 0; i < n; i++) {
    const ir_store *x = &st[i];
    bool slot = key ? x->slot.key && strcmp(x->slot.key, key) == 0 : x->slot.kind == IR_SLOT_VAR && x->slot.var == var;
    if (slot && x->val.kind == IR_VAL_FUNC && strcmp(x->val.func_name, fn) == 0) return true;
  }
  return false;
}

static const char fnptr_code[] =
    "typedef void (*cb_t)(int);\n"
    "struct ops { void (*persist)(int); cb_t write; };\n"
    "struct other { cb_t write; };\n"
    "struct wrap { struct ops inner; int n; cb_t many[2]; };\n"
    "typedef struct { cb_t h; } anon_t;\n"
    "void a(int x) { (void)x; }\n"
    "void b(int x) { (void)x; }\n"
    "static const struct ops designated = { .persist = a, .write = &b };\n"
    "static const struct ops *const chosen[] = { &designated };\n"
    "static struct ops positional = { a, b };\n"
    "struct wrap nested = { { b, a }, 1, { a, b } };\n"
    "struct ops array_of[] = { { a, b }, { .write = a } };\n"
    "cb_t table[] = { a, b };\n"
    "anon_t anonymous = { .h = a };\n"
    "cb_t global_cb;\n"
    "static cb_t pick(int i) { return i ? a : b; }\n"
    "void use(struct ops *p, struct wrap *q, int i, cb_t fp) {\n"
    "  p->persist(1);\n"
    "  (*p->write)(2);\n"
    "  q->inner.write(3);\n"
    "  table[i](4);\n"
    "  fp(5);\n"
    "  array_of[i].write(6);\n"
    "  p->write = fp;\n"
    "  global_cb = b;\n"
    "  cb_t l = p->persist;\n"
    "  l(7);\n"
    "  struct ops local = { .persist = b };\n"
    "  local.persist(8);\n"
    "  cb_t arr[2] = { a, b };\n"
    "  arr[i](9);\n"
    "  static struct other kept = { b };\n"
    "  kept.write(10);\n"
    "  pick(i)(11);\n"
    "}\n";

static void test_function_pointer_facts(void) {
  ir_summary *s = unit_parse("fnptr.c", fnptr_code);
  CU_ASSERT_FALSE_FATAL(s->failed);
  const char *persist = "c:@S@ops@FI@persist", *write = "c:@S@ops@FI@write";
  /* initialisers at file scope: designated, positional, nested, arrays, anonymous records */
  CU_ASSERT(stores_fn(s->stores, s->nstores, persist, -1, "a"));
  CU_ASSERT(stores_fn(s->stores, s->nstores, write, -1, "b"));          /* &b */
  CU_ASSERT(stores_fn(s->stores, s->nstores, persist, -1, "b"));        /* nested.inner */
  CU_ASSERT(stores_fn(s->stores, s->nstores, "c:@S@wrap@FI@many", -1, "b"));
  CU_ASSERT(stores_fn(s->stores, s->nstores, write, -1, "a"));          /* array_of[1].write */
  CU_ASSERT(stores_fn(s->stores, s->nstores, "c:@table", -1, "a"));
  CU_ASSERT(stores_fn(s->stores, s->nstores, "c:@SA@anon_t@FI@h", -1, "a"));
  CU_ASSERT_FALSE(stores_fn(s->stores, s->nstores, "c:@S@other@FI@write", -1, "a"));
  for (unsigned i = 0; i < s->nstores; i++) CU_ASSERT_PTR_NOT_NULL(s->stores[i].owner);
  /* a static table named by another static initialiser */
  bool named = false;
  for (unsigned i = 0; i < s->nrefs; i++)
    named |= s->refs[i].from && strcmp(s->refs[i].to, "c:fnptr.c@designated") == 0 &&
             strcmp(s->refs[i].from, "c:fnptr.c@chosen") == 0;
  CU_ASSERT(named);

  const ir_function *f = unit_function(s, "use");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  /* where each indirect call reads its pointer */
  static const struct {
    const char *callee;
    ir_slot_kind kind;
    const char *key;
  } calls[] = {
      {"p->persist", IR_SLOT_FIELD, "c:@S@ops@FI@persist"}, {"(*p->write)", IR_SLOT_FIELD, "c:@S@ops@FI@write"},
      {"q->inner.write", IR_SLOT_FIELD, "c:@S@ops@FI@write"}, {"table[i]", IR_SLOT_GLOBAL, "c:@table"},
      {"fp", IR_SLOT_VAR, NULL}, {"array_of[i].write", IR_SLOT_FIELD, "c:@S@ops@FI@write"},
      {"l", IR_SLOT_VAR, NULL}, {"local.persist", IR_SLOT_FIELD, "c:@S@ops@FI@persist"},
      {"arr[i]", IR_SLOT_VAR, NULL}, {"kept.write", IR_SLOT_FIELD, "c:@S@other@FI@write"},
  };
  for (unsigned i = 0; i < sizeof calls / sizeof calls[0]; i++) {
    const ir_call *c = call_named(f, calls[i].callee);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_PTR_NULL(c->callee_usr);
    CU_ASSERT_EQUAL(c->callee_slot.kind, calls[i].kind);
    if (calls[i].key) CU_ASSERT_STRING_EQUAL(c->callee_slot.key, calls[i].key);
  }
  CU_ASSERT_EQUAL(call_named(f, "fp")->callee_slot.var, var_named(f, "fp"));
  CU_ASSERT_STRING_EQUAL(call_named(f, "p->persist")->callee_slot.name, "ops.persist");
  /* stores in the body: a parameter into a field, a function into a global, local
     aggregates, a static local's initialiser */
  bool param_store = false;
  for (unsigned i = 0; i < f->nstores; i++)
    if (f->stores[i].slot.key && strcmp(f->stores[i].slot.key, write) == 0 && f->stores[i].val.kind == IR_VAL_VAR &&
        f->stores[i].val.var == var_named(f, "fp"))
      param_store = true;
  CU_ASSERT(param_store);
  CU_ASSERT(stores_fn(f->stores, f->nstores, "c:@global_cb", -1, "b"));
  CU_ASSERT(stores_fn(f->stores, f->nstores, persist, -1, "b"));
  CU_ASSERT(stores_fn(f->stores, f->nstores, NULL, var_named(f, "arr"), "a"));
  CU_ASSERT(stores_fn(f->stores, f->nstores, "c:@S@other@FI@write", -1, "b"));
  /* `l = p->persist`: the assignment carries the slot it read */
  bool read_slot = false;
  for (unsigned b = 0; b < f->nblocks; b++)
    for (unsigned i = 0; i < f->blocks[b].nops; i++) {
      const ir_op *op = &f->blocks[b].ops[i];
      if (op->kind == IR_OP_ASSIGN && op->var == var_named(f, "l") && op->val.slot.kind == IR_SLOT_FIELD &&
          strcmp(op->val.slot.key, persist) == 0)
        read_slot = true;
    }
  CU_ASSERT(read_slot);
  /* the file-scope objects it uses: what decides whether a static table is in use */
  bool uses_table = false;
  for (unsigned i = 0; i < f->nrefs; i++) uses_table |= strcmp(f->refs[i], "c:@table") == 0;
  CU_ASSERT(uses_table);

  /* the facts survive the summary round trip */
  unit_check_round_trip(s);
  ir_summary_free(s);
}

void unit_register_frontend(void) {
  CU_pSuite s = CU_add_suite("frontend", NULL, NULL);
  CU_add_test(s, "calls and results", test_calls_and_results);
  CU_add_test(s, "conditions are split and reduced", test_conditions_split);
  CU_add_test(s, "loops, switch, goto", test_loops_switch_goto);
  CU_add_test(s, "noreturn and annotations", test_noreturn_and_attrs);
  CU_add_test(s, "a parse error is recorded", test_parse_error);
  CU_add_test(s, "constant operands, and a chain of 20 000 operators", test_constant_operands);
  CU_add_test(s, "function-pointer stores and indirect calls", test_function_pointer_facts);
}
