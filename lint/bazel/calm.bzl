"""calm-lint as a Bazel aspect over cc_library and cc_binary targets.

Each C source of a target becomes one summary action (`calm-lint --emit-summary`, with
the target's compile flags from its CcInfo compilation context), and each target one
link action (`calm-lint --link`) over its own summaries and those of its deps,
transitively: a cc_binary's link sees the whole program. A changed .c re-runs its own
summary and the links above it; all actions are cached (also by --disk_cache).

    # WORKSPACE
    local_repository(name = "calm", path = "/usr/share/calm/bazel")
    new_local_repository(
        name = "calm_lint",
        path = "/usr/bin",  # the directory holding calm-lint
        build_file_content = 'exports_files(["calm-lint"])',
    )

    bazel build //... --aspects=@calm//:calm.bzl%calm_aspect --output_groups=calm

The report of TARGET is bazel-bin/PKG/calm-lint/TARGET.txt, also printed by the link.
--@calm//:fail_on_findings makes a finding fail the build; --@calm//:config=LABEL names
the .calm-lint.json the link reads. Linux only: files are named through /proc/self/cwd.
"""

load("@bazel_tools//tools/cpp:toolchain_utils.bzl", "find_cpp_toolchain")

CalmInfo = provider(
    doc = "The calm-lint summaries of a target and its deps, and what the link reads.",
    fields = {
        "summaries": "depset of .calm files: the target's sources and its deps', transitively",
        "sources": "depset of the sources and headers those were made from (NOLINT comments)",
        "linkable": "whether there is a summary at all (a link over none is an error)",
    },
)

CalmFlagInfo = provider(doc = "The value of a calm build setting.", fields = ["value"])

def _bool_flag_impl(ctx):
    return [CalmFlagInfo(value = ctx.build_setting_value)]

calm_bool_flag = rule(
    implementation = _bool_flag_impl,
    build_setting = config.bool(flag = True),
    doc = "A boolean command-line flag of the aspect (--@calm//:NAME).",
)

# A summary names its files by absolute path, and the link reads the sources at those
# paths (NOLINT comments, source lines). The execroot's own path differs by sandbox,
# checkout and machine, so sources and include directories are named through
# /proc/self/cwd: every summary of a source is the same file wherever it was made, and
# the link reads what its own execroot (its sandbox) holds. Its report drops the prefix.
_CWD = "/proc/self/cwd"

def _exec_path(path):
    """path (relative to the execroot) as every action reaches it in its own."""
    if path.startswith("/"):
        return path
    return _CWD if path in ("", ".") else _CWD + "/" + path

def _package_relative(src, label):
    """The path of src under its package's output directory: PKG/a/b.c -> a/b.c."""
    prefix = label.package + "/" if label.package else ""
    path = src.short_path
    if prefix and path.startswith(prefix):
        return path[len(prefix):]
    return path.replace("../", "__/")

def calm_compile_flags(ctx, compilation_context):
    """The flags a C source of the target is compiled with, as cc rules order them.

    Defines and include directories come from the compilation context (the deps'
    usage requirements included), then --copt and --conlyopt, then the rule's copts.
    """
    cc = compilation_context
    flags = ["-D" + d for d in cc.defines.to_list()]
    flags += ["-D" + d for d in getattr(cc, "local_defines", depset()).to_list()]
    for d in cc.includes.to_list():
        flags += ["-I", _exec_path(d)]
    for d in cc.quote_includes.to_list():
        flags += ["-iquote", _exec_path(d)]
    for d in cc.system_includes.to_list():
        flags += ["-isystem", _exec_path(d)]
    flags += ctx.fragments.cpp.copts
    flags += ctx.fragments.cpp.conlyopts
    flags += getattr(ctx.rule.attr, "copts", [])
    return flags

def _summary_action(ctx, lint, compiler, flags, src, headers):
    out = ctx.actions.declare_file(
        "calm-lint/%s/%s.calm" % (ctx.label.name, _package_relative(src, ctx.label)),
    )
    args = ctx.actions.args()
    args.add("--emit-summary", out)
    args.add("--")
    args.add(compiler)
    args.add_all(flags)
    args.add("-c", _exec_path(src.path))
    ctx.actions.run(
        executable = lint,
        arguments = [args],
        inputs = depset([src], transitive = [headers]),
        outputs = [out],
        mnemonic = "CalmSummary",
        progress_message = "calm-lint: summary of %s" % src.short_path,
    )
    return out

def _link_action(ctx, lint, info):
    report = ctx.actions.declare_file("calm-lint/%s.txt" % ctx.label.name)
    fail_on_findings = ctx.attr._fail_on_findings[CalmFlagInfo].value
    config = ctx.files._config
    args = ctx.actions.args()
    args.add(lint)
    args.add(report)
    args.add("--link")
    if not fail_on_findings:
        args.add("--exit-zero")
    if config:
        args.add("--config", config[0])
    args.add_all(info.summaries)

    # paths relative to the execroot, and the report to the build log as well; a failed
    # link keeps no output, so it is run (and printed) again by the next build
    ctx.actions.run_shell(
        command = 'lint=$1 report=$2; shift 2; "$lint" "$@" -o "$report.raw"; s=$?; ' +
                  'sed "s#%s/##g" "$report.raw" >"$report" 2>/dev/null; rm -f "$report.raw"; ' % _CWD +
                  'cat "$report" 2>/dev/null; exit $s',
        arguments = [args],
        inputs = depset(config, transitive = [info.summaries, info.sources]),
        tools = [lint],
        outputs = [report],
        mnemonic = "CalmLink",
        progress_message = "calm-lint: linking %s" % ctx.label,
    )
    return report

def _calm_aspect_impl(target, ctx):
    deps = [d[CalmInfo] for d in getattr(ctx.rule.attr, "deps", []) if CalmInfo in d]
    dep_summaries = [d.summaries for d in deps]
    dep_sources = [d.sources for d in deps]
    dep_linkable = [d.linkable for d in deps if d.linkable]
    if ctx.rule.kind not in ("cc_library", "cc_binary") or CcInfo not in target:
        # a target the aspect passes through (cc_import, a cc_test, ...) forwards its deps'
        return [CalmInfo(
            summaries = depset(transitive = dep_summaries),
            sources = depset(transitive = dep_sources),
            linkable = bool(dep_linkable),
        )]

    cc = target[CcInfo].compilation_context
    lint = ctx.executable._calm_lint
    compiler = find_cpp_toolchain(ctx).compiler_executable
    flags = calm_compile_flags(ctx, cc)
    srcs = [f for f in ctx.rule.files.srcs if f.extension == "c"]
    own = [_summary_action(ctx, lint, compiler, flags, src, cc.headers) for src in srcs]
    info = CalmInfo(
        summaries = depset(own, transitive = dep_summaries),
        sources = depset(srcs, transitive = [cc.headers] + dep_sources),
        linkable = bool(own) or bool(dep_linkable),
    )

    # a header-only library with no C below it has nothing to link
    return [info, OutputGroupInfo(
        calm = depset([_link_action(ctx, lint, info)] if info.linkable else []),
        calm_summaries = depset(own),
    )]

calm_aspect = aspect(
    implementation = _calm_aspect_impl,
    attr_aspects = ["deps"],
    fragments = ["cpp"],
    attrs = {
        "_calm_lint": attr.label(
            default = Label("@calm_lint//:calm-lint"),
            executable = True,
            cfg = "exec",
            allow_single_file = True,
        ),
        "_cc_toolchain": attr.label(default = Label("@bazel_tools//tools/cpp:current_cc_toolchain")),
        "_config": attr.label(default = Label("//:config"), allow_files = True),
        "_fail_on_findings": attr.label(default = Label("//:fail_on_findings")),
    },
    doc = "Lints the C sources of cc_library and cc_binary targets with calm-lint; " +
          "request the reports with --output_groups=calm.",
)
