"""The rules language: grammar → parser → checker.

Each stage takes a plain value and returns one: source text becomes an AST (`parser`), the
AST becomes a list of diagnostics (`checker`). The engine compiles a checked AST into a
rule set (`engine.compiler`) and loads files through all of them (`engine.loader`).
"""
