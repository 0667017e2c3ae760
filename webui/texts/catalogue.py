"""The catalogue's words (comet/catalogue.py, comet/model_fields.py) in Vietnamese.

The English stays in the catalogue, the one source of each model's help; `VIETNAMESE` holds
every one of its texts translated, keyed by the English. `strings()` turns them into the
table's per-model keys (`model.<name>.info`, `model.<name>.<field>.label`, ...).
"""

from __future__ import annotations

from comet.fields import Field, ModelSpec
from comet.models import MODELS

VIETNAMESE: dict[str, str] = {
    # -- models ------------------------------------------------------------------------------
    "The fastest: 1-4 steps, about 1-2 s; good for drafts and trying out prompts.": (
        "Nhanh nhất: 1-4 bước, khoảng 1-2 s; hợp để phác thảo và thử prompt."
    ),
    "Open-weight FLUX.1 with guidance and image-to-image; more detail, about 3-10 s.": (
        "FLUX.1 trọng số mở, có guidance và image-to-image; chi tiết hơn, khoảng 3-10 s."
    ),
    "High prompt fidelity, custom sizes and an optional image prompt; about 3-10 s.": (
        "Bám sát prompt, kích thước tùy chỉnh và image prompt tùy chọn; khoảng 3-10 s."
    ),
    "Faster, sharper successor to FLUX.1 [pro], with custom sizes; about 3-10 s.": (
        "Bản kế nhiệm nhanh hơn, sắc nét hơn của FLUX.1 [pro], có kích thước tùy chỉnh; "
        "khoảng 3-10 s."
    ),
    "Images up to 4 MP, with a raw mode for natural-looking photos; about 3-10 s.": (
        "Ảnh tới 4 MP, có chế độ raw cho ảnh chụp tự nhiên; khoảng 3-10 s."
    ),
    "Edits an input image from a text instruction, or makes a new one; about 3-5 s.": (
        "Sửa ảnh đầu vào theo chỉ dẫn bằng chữ, hoặc tạo ảnh mới; khoảng 3-5 s."
    ),
    "Kontext's strongest tier: best prompt following and text in edits; about 3-5 s.": (
        "Bản mạnh nhất của Kontext: bám prompt tốt nhất và viết chữ tốt nhất khi sửa ảnh; "
        "khoảng 3-5 s."
    ),
    "High-quality generation and editing with up to 8 reference images; about 6 s.": (
        "Tạo và sửa ảnh chất lượng cao với tối đa 8 ảnh tham chiếu; khoảng 6 s."
    ),
    "Open-weight FLUX.2 with up to 4 reference images and a fast mode; about 6 s.": (
        "FLUX.2 trọng số mở với tối đa 4 ảnh tham chiếu và chế độ nhanh; khoảng 6 s."
    ),
    "FLUX.2 with adjustable steps and guidance and up to 10 reference images; about 6 s.": (
        "FLUX.2 có thể chỉnh số bước và guidance, với tối đa 10 ảnh tham chiếu; khoảng 6 s."
    ),
    # -- field labels ------------------------------------------------------------------------
    "Prompt": "Prompt (mô tả ảnh)",
    "Aspect ratio": "Tỉ lệ khung hình",
    "Number of images": "Số lượng ảnh",
    "Steps": "Số bước",
    "Seed": "Seed",
    "Output format": "Định dạng đầu ra",
    "Output quality": "Chất lượng đầu ra",
    "Disable safety checker": "Tắt bộ kiểm tra an toàn",
    "Go fast": "Chạy nhanh",
    "Megapixels": "Megapixel",
    "Input image": "Ảnh đầu vào",
    "Guidance": "Guidance",
    "Prompt strength": "Độ mạnh của prompt",
    "Image prompt": "Image prompt (ảnh gợi ý)",
    "Width": "Chiều rộng",
    "Height": "Chiều cao",
    "Interval": "Interval (khoảng biến thiên)",
    "Prompt upsampling": "Mở rộng prompt",
    "Safety tolerance": "Mức chấp nhận an toàn",
    "Image prompt strength": "Độ mạnh của image prompt",
    "Raw": "Raw (ảnh thô)",
    "Reference images": "Ảnh tham chiếu",
    "Resolution": "Độ phân giải",
    # -- field help --------------------------------------------------------------------------
    "Describe the image you want.": "Mô tả bức ảnh bạn muốn.",
    "Shape of the image, width to height.": "Hình dạng của ảnh, tỉ lệ rộng trên cao.",
    "How many images to make from the prompt.": "Số ảnh cần tạo từ prompt.",
    "Denoising steps: more give more detail but take longer.": (
        "Số bước khử nhiễu: càng nhiều càng chi tiết nhưng càng lâu."
    ),
    "Set a whole number to get the same image again; leave empty for a random one.": (
        "Đặt một số nguyên để tạo lại đúng ảnh đó; để trống để chọn ngẫu nhiên."
    ),
    "File format of the images.": "Định dạng tệp của ảnh.",
    "Compression quality for jpg and webp, 100 is best; ignored for png.": (
        "Chất lượng nén cho jpg và webp, 100 là tốt nhất; bỏ qua với png."
    ),
    "Skip the check that blanks out unsafe images.": (
        "Bỏ qua bước kiểm tra vốn che đi các ảnh không an toàn."
    ),
    "Use a faster, slightly lower-quality mode of the model.": (
        "Dùng chế độ nhanh hơn, chất lượng thấp hơn một chút của mô hình."
    ),
    "Approximate image size in megapixels.": "Kích thước ảnh gần đúng, tính bằng megapixel.",
    "Optional image to start from (image-to-image); its size sets the output size.": (
        "Ảnh tùy chọn để bắt đầu (image-to-image); kích thước của nó quyết định kích thước đầu ra."
    ),
    "How closely to follow the prompt; lower values look more natural.": (
        "Mức độ bám theo prompt; giá trị thấp hơn trông tự nhiên hơn."
    ),
    "With an input image: 1 replaces it entirely, lower values keep more of it.": (
        "Khi có ảnh đầu vào: 1 thay thế hoàn toàn ảnh đó, giá trị thấp hơn giữ lại nhiều hơn."
    ),
    "Optional image whose style and content guide the result.": (
        "Ảnh tùy chọn có phong cách và nội dung định hướng cho kết quả."
    ),
    "Image width in pixels, rounded to a multiple of 32; only used when the aspect ratio "
    "is custom.": (
        "Chiều rộng ảnh tính bằng pixel, làm tròn tới bội số của 32; chỉ dùng khi tỉ lệ khung "
        "hình là custom."
    ),
    "Image height in pixels, rounded to a multiple of 32; only used when the aspect ratio "
    "is custom.": (
        "Chiều cao ảnh tính bằng pixel, làm tròn tới bội số của 32; chỉ dùng khi tỉ lệ khung "
        "hình là custom."
    ),
    "Diffusion steps (deprecated by the model; it may ignore them).": (
        "Số bước diffusion (mô hình đã ngừng hỗ trợ; có thể bị bỏ qua)."
    ),
    "How closely to follow the prompt; lower values are more creative and varied.": (
        "Mức độ bám theo prompt; giá trị thấp hơn sáng tạo và đa dạng hơn."
    ),
    "Higher values give more varied outputs (deprecated by the model; it may ignore it).": (
        "Giá trị cao hơn cho kết quả đa dạng hơn (mô hình đã ngừng hỗ trợ; có thể bị bỏ qua)."
    ),
    "Let the model rewrite the prompt for a more creative result.": (
        "Để mô hình viết lại prompt cho kết quả sáng tạo hơn."
    ),
    "How permissive the content filter is, 1 strictest to 6 most lenient.": (
        "Mức dễ dãi của bộ lọc nội dung, từ 1 nghiêm nhất đến 6 thoáng nhất."
    ),
    "How much the image prompt shapes the result, from 0 to 1.": (
        "Mức ảnh hưởng của image prompt lên kết quả, từ 0 đến 1."
    ),
    "Less processed, more natural-looking photos.": "Ảnh ít xử lý hơn, trông tự nhiên hơn.",
    "Describe the change to make to the input image, or the image to create.": (
        "Mô tả thay đổi cần làm với ảnh đầu vào, hoặc bức ảnh cần tạo."
    ),
    "The image to edit (jpeg, png, gif or webp).": "Ảnh cần sửa (jpeg, png, gif hoặc webp).",
    "How permissive the content filter is, 0 strictest to 6 most lenient; at most 2 with an "
    "input image.": (
        "Mức dễ dãi của bộ lọc nội dung, từ 0 nghiêm nhất đến 6 thoáng nhất; tối đa 2 khi có "
        "ảnh đầu vào."
    ),
    "Up to 8 images to edit or take characters, objects or style from.": (
        "Tối đa 8 ảnh để sửa, hoặc để lấy nhân vật, đồ vật hay phong cách từ đó."
    ),
    "Image size in megapixels; 2 MP or less is recommended.": (
        "Kích thước ảnh tính bằng megapixel; nên dùng 2 MP trở xuống."
    ),
    "How permissive the content filter is, 1 strictest to 5 most lenient.": (
        "Mức dễ dãi của bộ lọc nội dung, từ 1 nghiêm nhất đến 5 thoáng nhất."
    ),
    "Up to 4 images to edit or take characters, objects or style from.": (
        "Tối đa 4 ảnh để sửa, hoặc để lấy nhân vật, đồ vật hay phong cách từ đó."
    ),
    "Up to 10 images to edit or take characters, objects or style from.": (
        "Tối đa 10 ảnh để sửa, hoặc để lấy nhân vật, đồ vật hay phong cách từ đó."
    ),
    "Inference steps: more give more detail but take longer.": (
        "Số bước suy luận: càng nhiều càng chi tiết nhưng càng lâu."
    ),
    "How closely to follow the prompt; higher follows it more strictly.": (
        "Mức độ bám theo prompt; giá trị cao hơn bám sát prompt hơn."
    ),
}

# The words the form puts around the catalogue's, per language (English, Vietnamese).
_INFO = ("**{name}** · {description}{images}", "**{name}** · {description}{images}")
_TAKES_IMAGES = (" · takes up to {count} input image(s)", " · nhận tối đa {count} ảnh đầu vào")
_UP_TO = ("{label} (up to {count})", "{label} (tối đa {count})")
_OPTIONAL = ("{label} (optional)", "{label} (tùy chọn)")
_URLS_INFO = (
    "{help} A public https URL is the documented way; an upload is sent inline as a data: URI "
    "(JPEG, PNG, GIF or WebP, up to 10 MB; large images are downscaled).",
    "{help} Cách được tài liệu hướng dẫn là một URL https công khai; ảnh tải lên được gửi "
    "kèm dưới dạng URI data: (JPEG, PNG, GIF hoặc WebP, tối đa 10 MB; ảnh lớn được thu nhỏ).",
)

# Form texts that do not depend on a model.
FORM: dict[str, tuple[str, str]] = {
    "form.unknown_model": (
        "`{model}`: not in the catalogue; sent as-is with the prompt and extra JSON.",
        "`{model}`: không có trong danh mục; được gửi nguyên vẹn cùng prompt và JSON bổ sung.",
    ),
    "form.urls_many": ("…or image URLs (one per line)", "…hoặc URL ảnh (mỗi dòng một URL)"),
    "form.urls_one": ("…or an image URL", "…hoặc một URL ảnh"),
}


def _both(english: str) -> tuple[str, str]:
    return english, VIETNAMESE[english]


def _pair(template: tuple[str, str], **values: tuple[str, str] | str) -> tuple[str, str]:
    """A form template filled per language: a (en, vi) value goes in its own language."""
    return tuple(  # type: ignore[return-value]
        template[i].format(**{k: v[i] if isinstance(v, tuple) else v for k, v in values.items()})
        for i in (0, 1)
    )


def model_strings(spec: ModelSpec) -> dict[str, tuple[str, str]]:
    """One model's keys: its info line, each field's label and help, its image inputs."""
    prefix = f"model.{spec.name}"
    images = _pair(_TAKES_IMAGES, count=str(spec.max_images)) if spec.max_images else ("", "")
    found = {
        f"{prefix}.info": _pair(
            _INFO, name=spec.display_name, description=_both(spec.description), images=images
        )
    }
    for field in spec.fields:
        found[f"{prefix}.{field.name}.label"] = _both(field.label)
        found[f"{prefix}.{field.name}.help"] = _both(field.help)
    if spec.image_field:
        found.update(_image_strings(spec, spec.field(spec.image_field)))
    return found


def _image_strings(spec: ModelSpec, field: Field) -> dict[str, tuple[str, str]]:
    prefix = f"model.{spec.name}"
    label = _both(field.label)
    upload = (
        _pair(_UP_TO, label=label, count=str(spec.max_images)) if field.kind == "images" else label
    )
    return {
        f"{prefix}.upload_label": upload,
        f"{prefix}.image_accordion": _pair(_OPTIONAL, label=label),
        f"{prefix}.urls_info": _pair(_URLS_INFO, help=_both(field.help)),
    }


def _literal(pair: tuple[str, str]) -> tuple[str, str]:
    """A finished text as a table template: its braces (if any) are not placeholders."""
    return tuple(s.replace("{", "{{").replace("}", "}}") for s in pair)  # type: ignore[return-value]


def strings() -> dict[str, tuple[str, str]]:
    """Every model's keys, plus the form's own."""
    found = dict(FORM)
    for spec in MODELS.values():
        found.update({key: _literal(pair) for key, pair in model_strings(spec).items()})
    return found
