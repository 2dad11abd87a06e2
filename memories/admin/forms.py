"""The form staff edit a memory with."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from memories.models import Memory, memory_text


class MemoryForm(forms.ModelForm):  # type: ignore[type-arg]
    """Staff edit the text and the topics; Agno's JSON encoding stays out of sight."""

    memory = forms.CharField(
        label=_("Memory"), widget=forms.Textarea, max_length=5000, strip=False
    )
    topics = forms.CharField(
        required=False,
        label=_("Topics"),
        help_text=_("Comma-separated; at most 50 topics of 100 characters."),
    )

    class Meta:
        model = Memory
        fields = ["memory", "topics"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance is not None and self.instance.pk:
            self.initial["memory"] = memory_text(self.instance.memory)
            self.initial["topics"] = ", ".join(self.instance.topics or [])

    def clean_topics(self) -> list[str]:
        raw = self.cleaned_data.get("topics") or ""
        topics = list(dict.fromkeys(topic.strip() for topic in raw.split(",") if topic.strip()))
        if len(topics) > 50 or any(len(topic) > 100 for topic in topics):
            raise forms.ValidationError(_("At most 50 topics of at most 100 characters."))
        return topics
