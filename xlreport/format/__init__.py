"""The 2021 format as frozen data: tables, labels, fields, rules, the value policy, the JSON schema."""
