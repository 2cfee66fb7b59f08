"""The front ends: the notebook (magics, form, result widget, history) and the terminal command.

What both show and read sits here, below both: the argument table and the fields in a
front end's words (`_arguments`), the facts every rendering of a result reads (`_facts`),
and the profiles table (`_profiles_table`). They use only ``msc_notebook``'s public API.
"""
