"""The rules of @rules_java//java:defs.bzl that Bazel 4.2's tools load, as its native ones."""

java_binary = native.java_binary
java_import = native.java_import
java_library = native.java_library
java_runtime = native.java_runtime
java_toolchain = native.java_toolchain
