"""essaycast: essay text → voiced Script → rendered segments → mastered Episode → podcast Feed.

Each stage is a subpackage (`script`, `synth`, `mix`, `publish`) that imports only the stages
upstream of it; `cli` is a thin typer layer over their library APIs.
"""

__version__ = "0.1.0"
