"""The rules language: grammar → parser → checker → compiler.

Each stage takes a plain value and returns one: source text becomes an AST
(`parser`), the AST becomes a list of diagnostics (`checker`), a checked AST becomes
a `RuleSet` of evaluable rules (`compiler`). `loader` strings them together for files.
"""
