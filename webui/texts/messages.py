"""Messages by code, each with its Vietnamese: `msg.<code>` is the template webui/i18n.py's
`translated` words a Message of that code with.

webui's own messages (WEBUI) are written here in both languages; webui raises them with
`msg(code, ...)`. comet's (COMET) take their English from comet.messages.ENGLISH, so the two
cannot drift: only the Vietnamese is written here. A value that is a Message is worded in the
same language; any other (a name, a number, an upstream reason) goes in as it came. Literal
braces are doubled, as str.format wants them.
"""

from comet.messages import ENGLISH

_EXTRA = "Extra input (JSON)"
_EXTRA_VI = "Đầu vào bổ sung (JSON)"
_SMALLER_VI = "Hãy dùng ảnh nhỏ hơn hoặc một URL https công khai."
_NOT_TWICE_VI = "yêu cầu không được gửi lại để bạn không phải trả tiền hai lần."

# webui's own messages: limits, keys, Resume, the prompt, the extra JSON box, image URLs.
WEBUI: dict[str, tuple[str, str]] = {
    "msg.limit.concurrent": (
        "You already have {running} runs in progress (the limit is {limit}). Wait for one to "
        "finish, then try again.",
        "Bạn đang có {running} lượt chạy (giới hạn là {limit}). Hãy chờ một lượt xong rồi thử lại.",
    ),
    "msg.limit.hourly": (
        "You have used this app's {limit} runs for this hour. Try again in {wait}, or "
        "enter your own CometAPI key to run without this limit.",
        "Bạn đã dùng hết {limit} lượt chạy của ứng dụng trong giờ này. Hãy thử lại sau "
        "{wait}, hoặc nhập CometAPI key của riêng bạn để chạy không giới hạn.",
    ),
    "msg.limit.daily": (
        "This app's daily budget of {limit} runs is used up; it resets at midnight UTC, in "
        "{wait}. To run now, use your own CometAPI key.",
        "Ứng dụng đã dùng hết ngân sách {limit} lượt chạy trong ngày; ngân sách được đặt lại "
        "lúc nửa đêm UTC, sau {wait}. Để chạy ngay, hãy dùng CometAPI key của riêng bạn.",
    ),
    "msg.hours_minutes": ("{hours} h {minutes} min", "{hours} giờ {minutes} phút"),
    "msg.minute": ("{count} minute", "{count} phút"),
    "msg.minutes": ("{count} minutes", "{count} phút"),
    "msg.limit.images": (
        "This app allows at most {limit} images per run.",
        "Ứng dụng này cho phép tối đa {limit} ảnh mỗi lượt chạy.",
    ),
    "msg.resume.no_id": (
        "Enter a prediction id to resume.",
        "Hãy nhập id của prediction cần tiếp tục.",
    ),
    "msg.resume.followed": (
        "Prediction `{id}` is already being followed here (a run or another Resume): its "
        "images will appear in History when it finishes.",
        "Prediction `{id}` đang được theo dõi ở đây (một lượt chạy hoặc một lần Tiếp tục "
        "khác): ảnh của nó sẽ xuất hiện trong Lịch sử khi xong.",
    ),
    "msg.resume.other_visitor": (
        "That prediction belongs to another visitor.",
        "Prediction đó thuộc về một người dùng khác.",
    ),
    "msg.resume.elsewhere": (
        "Only predictions made in this app can be resumed here. To resume one made elsewhere, "
        "enter your own CometAPI key under **API key**.",
        "Ở đây chỉ có thể tiếp tục các prediction tạo trong ứng dụng này. Để tiếp tục một "
        "prediction tạo ở nơi khác, hãy nhập CometAPI key của riêng bạn ở mục **API key**.",
    ),
    "msg.key.bad": (
        "The API key box holds something that is not a CometAPI key (spaces, or too long). "
        "Fix it or clear the box.",
        "Ô API key chứa thứ không phải CometAPI key (có khoảng trắng, hoặc quá dài). Hãy sửa "
        "lại hoặc xóa ô đó.",
    ),
    "msg.key.required": (
        "This app asks every visitor to use their own CometAPI key: enter it in the "
        "**API key** box (it stays in this browser session only).",
        "Ứng dụng này yêu cầu mỗi người dùng dùng CometAPI key của riêng mình: hãy nhập vào ô "
        "**API key** (key chỉ ở lại trong phiên trình duyệt này).",
    ),
    "msg.key.header_bad": (
        "The {header} header holds something that is not a CometAPI key (spaces, or too long).",
        "Header {header} chứa thứ không phải CometAPI key (có khoảng trắng, hoặc quá dài).",
    ),
    "msg.key.header_required": (
        "This app asks every caller to use their own CometAPI key: send it in the {header} "
        "header (get one at https://api.cometapi.com/console/token).",
        "Ứng dụng này yêu cầu mỗi người gọi dùng CometAPI key của riêng mình: hãy gửi nó "
        "trong header {header} (lấy key tại https://api.cometapi.com/console/token).",
    ),
    "msg.app_closing": (
        "The app was closed while waiting for this prediction; Resume it from History after "
        "the app starts again.",
        "Ứng dụng đã đóng khi đang chờ prediction này; hãy Tiếp tục nó từ Lịch sử sau khi "
        "ứng dụng chạy lại.",
    ),
    "msg.demo_gone": (
        "This demo run was still waiting when the app stopped; the built-in simulator stopped "
        "with it. Nothing was billed: generate it again.",
        "Lượt chạy demo này vẫn đang chờ khi ứng dụng dừng; trình giả lập có sẵn cũng dừng "
        "theo. Không có gì bị tính phí: hãy tạo lại.",
    ),
    "msg.prompt.empty": (
        "Prompt is empty: describe the image you want.",
        "Prompt đang trống: hãy mô tả bức ảnh bạn muốn.",
    ),
    "msg.prompt.long": (
        "The prompt is {count} characters; the limit is {limit}.",
        "Prompt dài {count} ký tự; giới hạn là {limit}.",
    ),
    "msg.prompt.long_extra": (
        f"The prompt in {_EXTRA} is {{count}} characters; the limit is {{limit}}.",
        f"Prompt trong {_EXTRA_VI} dài {{count}} ký tự; giới hạn là {{limit}}.",
    ),
    "msg.extra.wrapped": (f"{_EXTRA}: {{message}}", f"{_EXTRA_VI}: {{message}}"),
    "msg.extra.long": (
        f"{_EXTRA} is {{count}} characters; the limit is {{limit}}.",
        f"{_EXTRA_VI} dài {{count}} ký tự; giới hạn là {{limit}}.",
    ),
    "msg.extra.nested": (
        f"{_EXTRA} is nested too deeply: give each input a plain value (text, a number, "
        'true/false) or a list of them, e.g. {{"guidance": 3.5}}.',
        f"{_EXTRA_VI} lồng nhau quá sâu: hãy cho mỗi đầu vào một giá trị đơn giản (văn bản, "
        'một số, true/false) hoặc một danh sách các giá trị đó, ví dụ {{"guidance": 3.5}}.',
    ),
    "msg.extra.invalid": (
        f"{_EXTRA} is not valid JSON: {{reason}} at line {{line}}, column {{column}}.",
        f"{_EXTRA_VI} không phải JSON hợp lệ: {{reason}} ở dòng {{line}}, cột {{column}}.",
    ),
    "msg.extra.digits": (
        f"{_EXTRA} has a number of {{count}} digits; no input takes one that long.",
        f"{_EXTRA_VI} có một số dài {{count}} chữ số; không đầu vào nào nhận số dài như vậy.",
    ),
    "msg.extra.unreadable": (
        f"{_EXTRA} could not be read as JSON.",
        f"Không đọc được {_EXTRA_VI} dưới dạng JSON.",
    ),
    "msg.extra.not_object": (
        f'{_EXTRA} must be a JSON object, e.g. {{{{"guidance": 3.5}}}}.',
        f'{_EXTRA_VI} phải là một đối tượng JSON, ví dụ {{{{"guidance": 3.5}}}}.',
    ),
    "msg.extra.too_many": (
        f"{_EXTRA} has {{count}} inputs; the limit is {{limit}}.",
        f"{_EXTRA_VI} có {{count}} đầu vào; giới hạn là {{limit}}.",
    ),
    "msg.extra.long_list": (
        '"{name}" is a list of {count} items; the limit is {limit}.',
        '"{name}" là danh sách {count} phần tử; giới hạn là {limit}.',
    ),
    "msg.extra.not_plain": (
        '"{name}" must be text, a number, true/false, or a list of those; a JSON object is not '
        "an input value.",
        '"{name}" phải là văn bản, một số, true/false, hoặc danh sách các giá trị đó; một đối '
        "tượng JSON không phải là giá trị đầu vào.",
    ),
    "msg.extra.not_finite": (
        '"{name}" must be a finite number, not NaN or Infinity.',
        '"{name}" phải là một số hữu hạn, không phải NaN hay Infinity.',
    ),
    "msg.extra.url_list": (
        '"{name}" must be a list of image URLs (strings).',
        '"{name}" phải là danh sách URL ảnh (chuỗi).',
    ),
    "msg.extra.one_value": (
        '"{name}" takes one value, not a list.',
        '"{name}" nhận một giá trị, không phải danh sách.',
    ),
    "msg.extra.prompt_text": ('"prompt" must be text.', '"prompt" phải là văn bản.'),
    "msg.extra.bad_name": (
        '"{name}" is not an input name the API can have {where}; use letters, digits and _ '
        "only, at most {count} characters.",
        '"{name}" không phải tên đầu vào mà API có thể nhận {where}; chỉ dùng chữ cái, '
        "chữ số và _, tối đa {count} ký tự.",
    ),
    "msg.extra.for_model": ("for {model}", "cho {model}"),
    "msg.extra.here": ("here", "ở đây"),
    "msg.extra.big_int": (
        '"{name}" has a whole number beyond 64 bits.',
        '"{name}" có một số nguyên vượt quá 64 bit.',
    ),
    "msg.image.one": (
        '"{name}" takes one image; got {count} (an upload and a URL?).',
        '"{name}" chỉ nhận một ảnh; đã nhận {count} (một ảnh tải lên và một URL?).',
    ),
    "msg.url.not_https": (
        '"{name}": {url} is not a public https:// image URL.',
        '"{name}": {url} không phải URL ảnh https:// công khai.',
    ),
}

# comet's messages by code (their English is comet.messages.ENGLISH): validation against the
# catalogue, the API's refusals, the network, waiting and saving, local images.
_COMET_VIETNAMESE: dict[str, str] = {
    "value.must_be": '"{name}" phải là {rule}, nhưng nhận được {value}',
    "rule.whole": "một số nguyên",
    "rule.number": "một số",
    "rule.whole_between": "một số nguyên từ {low} đến {high}",
    "rule.whole_at_least": "một số nguyên không nhỏ hơn {low}",
    "rule.whole_at_most": "một số nguyên không lớn hơn {high}",
    "rule.number_between": "một số từ {low} đến {high}",
    "rule.number_at_least": "một số không nhỏ hơn {low}",
    "rule.number_at_most": "một số không lớn hơn {high}",
    "rule.between": "một giá trị từ {low} đến {high}",
    "rule.at_least": "một giá trị không nhỏ hơn {low}",
    "rule.at_most": "một giá trị không lớn hơn {high}",
    "rule.multiple": "một bội số của {step}",
    "rule.and": "{rule}, {more}",
    "rule.of_kind": "{kind}, {rule}",
    "rule.bool": "true hoặc false",
    "rule.one_of": "một trong {choices}",
    "rule.text": "văn bản",
    "rule.url": "một URL https:// hoặc http:// hoặc một URI data:image/...;base64,...",
    "rule.url_list": "một danh sách URL ảnh",
    "rule.url_or_data_list": "một danh sách URL ảnh hoặc URI data:",
    "value.too_many_images": '"{name}" nhận tối đa {limit} ảnh, nhưng nhận được {count}',
    "value.unknown_close": (
        'Đầu vào "{name}" không có ở {model}. Có phải bạn muốn nói "{close}"? Các đầu vào '
        "hợp lệ: {names}."
    ),
    "value.unknown_list": 'Đầu vào "{name}" không có ở {model}. Các đầu vào hợp lệ: {names}.',
    "value.only_with": (
        '"{name}" chỉ được dùng khi "{other}" là "{wanted}", nhưng "{other}" đang là {actual}; '
        'hãy đặt "{other}" thành "{wanted}" hoặc để trống "{name}"'
    ),
    "value.needs": '"{other}" "{wanted}" cần {needed}; đang thiếu "{name}"',
    "value.safety_cap": (
        '"safety_tolerance" tối đa là {cap} khi có "{field}", nhưng nhận được {value}'
    ),
    "value.unknown_model": 'Không có mô hình "{model}". Các mô hình đã biết: {known}.',
    "value.prompt_empty": 'Prompt đang trống: "prompt" phải mô tả bức ảnh bạn muốn.',
    "value.required": '"{name}" là bắt buộc.',
    "api.blocked": (
        "CometAPI chấp nhận API key nhưng chặn yêu cầu này (HTTP 403): {detail} Mô hình này, "
        "hoặc một đầu vào đã gửi, chưa được bật cho key này: hãy kiểm tra quyền truy cập mô "
        "hình của key trong trang quản lý CometAPI ({url})."
    ),
    "api.not_found": "Không tìm thấy ({what}): {detail}",
    "api.what_prediction": "prediction",
    "api.what_route": "mô hình hoặc đường dẫn",
    "api.rejected": "CometAPI từ chối yêu cầu ({why}): {detail}",
    "api.server": "CometAPI gặp lỗi máy chủ ({inner}).{cause}",
    "api.server_creating": (
        f"CometAPI gặp lỗi máy chủ ({{inner}}).{{cause}} Prediction có thể vẫn đã được tạo; "
        f"{_NOT_TWICE_VI}"
    ),
    "api.redirect": (
        "Chuyển hướng bất ngờ (HTTP {status}) tới {location}: hãy kiểm tra COMET_BASE_URL."
    ),
    "api.status": "CometAPI trả về HTTP {status}: {detail}",
    "net.connect": "Không kết nối được tới {url} trong vòng {seconds} s.",
    "net.create_timeout": (
        "{url} không trả lời yêu cầu tạo trong vòng {seconds} s. Prediction có thể vẫn đã được "
        f"tạo (và bị tính phí); {_NOT_TWICE_VI} Hãy xem bảng điều khiển CometAPI trước khi thử "
        "lại."
    ),
    "net.timeout": "{url} không trả lời trong vòng {seconds} s.",
    "net.dropped": (
        "Kết nối tới {url} bị ngắt sau khi đã gửi yêu cầu tạo. Prediction có thể đã được tạo "
        f"(và bị tính phí); {_NOT_TWICE_VI}"
    ),
    "net.unreachable": "Không kết nối được tới {url}: {reason}",
    "net.failed": "Yêu cầu tới {url} thất bại: {reason}",
    "net.not_json": "{url} gửi về một phản hồi không phải JSON hợp lệ (HTTP {status}, {snippet}).",
    "net.bad_prediction": (
        "{url} gửi về một prediction không có id hoặc có dạng không rõ: {snippet}"
    ),
    "wait.deadline": (
        "Prediction {id} vẫn ở trạng thái {status} sau {seconds} s. Nó có thể vẫn chạy xong: "
        "hãy tiếp tục nó bằng `python -m comet get {id}`."
    ),
    "wait.retrying": "{message} Thử lại sau {seconds} s.",
    "save.one": "{failed}/{total} ảnh không lưu được: {details}",
    "save.many": "{failed}/{total} ảnh không lưu được: {details}",
    "upload.not_image": (
        '"{name}": tệp tải lên không phải là ảnh; hãy dùng JPEG, PNG, GIF hoặc WebP.'
    ),
    "upload.unreadable": '"{name}": không đọc được ảnh ({reason}).',
    "upload.gone": '"{name}": tệp đã tải lên không còn nữa; hãy tải lên lại.',
    "upload.too_big": (
        f'"{{name}}": tệp tải lên nặng {{size}} MB; giới hạn là {{limit}} MB. {_SMALLER_VI}'
    ),
    "upload.format": '"{name}": {kind} không được chấp nhận; hãy dùng JPEG, PNG, GIF hoặc WebP.',
    "upload.this_file": "tệp này",
    "upload.pixels": f'"{{name}}": {{what}}; giới hạn là {{limit}} megapixel. {_SMALLER_VI}',
    "upload.far_too_many": "ảnh có quá nhiều điểm ảnh",
    "upload.size": "ảnh có kích thước {width} x {height} điểm ảnh ({megapixels} MP)",
}
COMET: dict[str, tuple[str, str]] = {
    f"msg.{code}": (ENGLISH[code], vietnamese) for code, vietnamese in _COMET_VIETNAMESE.items()
}

STRINGS: dict[str, tuple[str, str]] = {**WEBUI, **COMET}
