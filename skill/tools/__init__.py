"""Local tools around the skill: the console, offline NLU, checks, previews and reports.

Nothing here runs in AWS Lambda: the bundle leaves this package out, and the Lambda entry
imports nothing from it (``tests/test_layout.py`` proves both).
"""
