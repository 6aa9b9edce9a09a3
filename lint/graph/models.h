/* API models: what library functions do that matters to the rules (register
 * callbacks, offload, block, wait, suspend, spawn, ...), loaded from JSON. The file
 * format is documented in rules/models/README.md. */
#ifndef CALM_LINT_MODELS_H
#define CALM_LINT_MODELS_H

#include <stdbool.h>
#include <stdint.h>

#include "../ir/ir.h"

typedef enum {
  CTX_NONE = 0,
  CTX_LOOP = 1u << 0,   /* runs on the loop thread: must never block */
  CTX_WORKER = 1u << 1, /* runs off the loop: may block, must not call loop APIs */
} calm_context;

const char *context_name(calm_context c);

typedef enum { TEST_NULL, TEST_NONNULL, TEST_EQUALS, TEST_MENTIONS, TEST_BITS, TEST_PREFIX } model_test_kind;

typedef struct {
  model_test_kind kind;
  int arg;
  int64_t value;    /* TEST_EQUALS; TEST_BITS: the mask */
  const char *name; /* TEST_MENTIONS: identifiers "a|b"; TEST_PREFIX: string beginnings "a|b" */
} model_test;

/* A property that holds always, or when / unless every test holds. */
typedef struct {
  bool set;    /* the property was given */
  bool always; /* `true` */
  bool unless; /* inverted */
  model_test *tests;
  unsigned ntests;
} model_cond;

typedef struct {
  int arg;
  calm_context context;
  int status_param; /* -1 when the callback carries no status */
  const char *cancelled_by; /* the status is 0 unless this function cancelled the request, or NULL */
  const char *status_checked_by; /* a call that fails whenever the status is an error (`uv_accept` in a
                                    connection callback): testing its result reads the status; or NULL */
  model_cond cold;          /* the callback runs rarely (a signal, a close, a one-shot timer) */
  model_cond when;          /* the call registers it only when this holds (a setter's option); unset: always */
  const char **runs_in;     /* it runs inside later calls of these functions, in their caller's context
                               (`curl_multi_perform` runs a CURLOPT_WRITEFUNCTION); NULL: in `context` */
  unsigned nruns_in;
} model_callback;

typedef enum { RETURNS_NOTHING = 0, RETURNS_STATUS, RETURNS_TASK } model_returns;
typedef enum { SPAWNS_NO = 0, SPAWNS_UNBOUNDED, SPAWNS_BOUNDED } model_spawns;
typedef enum { RESOURCE_NONE = 0, RESOURCE_SEMAPHORE, RESOURCE_MUTEX } model_resource;

typedef struct {
  model_resource kind;
  int arg;
} model_resource_arg;

/* Everything known of one function, merged from every model and pattern that
 * speaks of it. Integers are -1 and flags false when not given. */
typedef struct {
  const char *name;
  const char *model;   /* the model that described it (the last one, if several) */
  int64_t cancel_status;
  bool has_cancel_status;
  model_callback *callbacks;
  unsigned ncallbacks;
  int *invokes;
  unsigned ninvokes;
  model_cond blocking;
  model_cond waits_forever;
  int deadline_arg;
  bool suspends;
  model_returns returns;
  int *takes_task;
  unsigned ntakes_task;
  model_spawns spawns;
  model_resource_arg acquires, releases;
  int scope;  /* 0, +1 enter, -1 exit */
  int shield; /* 0, +1 enter, -1 exit */
  bool thread_safe;
  bool loop_only;
  bool noreturn;
  bool runs_loop; /* runs a loop on the calling thread: that thread owns the loop */
  bool cleanup;   /* closes, stops or frees: right whatever an operation's outcome */
  bool input;     /* takes in what arrives from outside: a read, an accepted connection, a row, a queue item */
  bool forks;     /* returns 0 in a new child process (`fork`) */
  bool opens_stream; /* returns a FILE *: on a file that does not block when its `blocking` does not hold */
  int stream_arg;    /* the FILE * it reads or writes, or -1 */
  int format_dest;   /* writes the text it formats into this argument (`snprintf`: 0), or -1 */
  int format_arg;    /* ... from the format string in this one (`snprintf`: 2), or -1 */
  int fd_arg;        /* opens_stream: the stream is over the descriptor in this argument (`fdopen`: 0), or -1 */
  int shares_fd;     /* returns a descriptor sharing the open file of this argument's (`dup`: 0), or -1 */
  int nonblocking_fd_out; /* writes a descriptor in non-blocking mode through this argument (`uv_fileno`: 1), or -1 */
} model_fn;

/* A field of a library's struct in which the program stores a function that the
 * library calls later (`struct lws_protocols`'s `callback`, GLib's `GSourceFuncs`). */
typedef struct {
  calm_context context;
  bool cold;
} model_slot;

typedef struct model_db model_db;

model_db *model_db_new(void);
void model_db_free(model_db *db);

/* Adds the model in `json`. `origin` names it in errors (a path, or "built-in
 * model calm"). Returns 0, or -1 with *error set (malloc'd, one line, with line and
 * column for malformed JSON). */
int model_db_load(model_db *db, const char *json, const char *origin, char **error);

/* Adds the functions of a JSON object `{ "name": { properties } }` (the
 * `functions` key of a configuration file) as model `model_name`. */
int model_db_load_functions(model_db *db, const void *cjson_object, const char *model_name, const char *origin,
                            char **error);

/* Leaves model `name` out of every later lookup. Returns false if no model has it. */
bool model_db_disable(model_db *db, const char *name);
bool model_db_has_model(const model_db *db, const char *name);
/* Names of the loaded models, in load order; NULL-terminated, owned by the db. */
const char *const *model_db_models(const model_db *db);

/* What is known of `name`, or NULL. The pointer stays valid until the db is freed
 * or changed. */
const model_fn *model_db_lookup(model_db *db, const char *name);

/* The slot named "record.field" (the record's tag, or its typedef name when it has
 * none), or NULL. */
const model_slot *model_db_slot(const model_db *db, const char *name);

/* Whether a conditional property holds for this call. */
bool model_cond_holds(const model_cond *c, const ir_call *call);

/* Loads every built-in model (compiled in from the JSON files of rules/models). */
int model_db_load_builtin(model_db *db, char **error);

/* The JSON text of built-in model files, for --list-models and tests. */
extern const char *const calm_builtin_model_names[];
extern const char *const calm_builtin_model_texts[];
extern const unsigned calm_builtin_model_count;


#endif
