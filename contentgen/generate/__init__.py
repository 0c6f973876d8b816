"""Local text generation: Generator backends, prompt templates, guardrails and the Writer."""

from contentgen.generate.base import ChatPrompt, Generation, Generator, SamplingSettings
from contentgen.generate.factory import create_generator, shared_generator
from contentgen.generate.guardrails import Check, GuardrailSettings, check_copy
from contentgen.generate.prompts import PromptTemplate, TemplateLibrary
from contentgen.generate.writer import Copy, Writer, WriterSettings

__all__ = [
    "ChatPrompt", "Generation", "Generator", "SamplingSettings", "create_generator", "shared_generator",
    "Check", "GuardrailSettings", "check_copy", "PromptTemplate", "TemplateLibrary", "Copy", "Writer", "WriterSettings",
]
