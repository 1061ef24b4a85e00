"""Rendering, last in the chain: figures, animations, and tables for the terminal,
Markdown and HTML. The only package allowed to import rich.
"""
