"""The engine: requests become facts, facts meet compiled rules, decisions come out."""
