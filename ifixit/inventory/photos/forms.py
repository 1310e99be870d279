"""The photo forms of a car's page: several photos at once (camera or library), and a caption."""

from django import forms


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """A list of files. Empty ones pass here: the upload check refuses each with its reason."""

    def __init__(self, **kwargs):
        super().__init__(allow_empty_file=True, **kwargs)

    def clean(self, data, initial=None):
        files = [item for item in (data if isinstance(data, (list, tuple)) else [data]) if item]
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleImageField, self).clean(item, initial) for item in files]


class PhotoUploadForm(forms.Form):
    """One or many photos; each is checked by the upload rule on its own (a bad one is refused
    with its reason and the others are still added)."""

    image = MultipleImageField(
        label="Photos",
        help_text="JPEG, PNG, WebP or HEIC, up to 15 MB each. Choose several at once.",
        widget=MultipleImageInput(attrs={"accept": "image/*"}),
        error_messages={"required": "Choose at least one photo."},
    )
    caption = forms.CharField(required=False, max_length=200, help_text="Given to every photo of this upload.")


class CaptionForm(forms.Form):
    caption = forms.CharField(required=False, max_length=200)
