"""Error messages in English as comet and webui word them, each with its Vietnamese.

`translate_message` matches a message against these English templates. A placeholder whose
name ends in `_text` is a phrase that is itself translated (e.g. the rule in "must be
{rule_text}"); any other placeholder (a name, a number, an upstream reason) is kept as it came.
Literal braces are doubled, as str.format wants them.
"""

_EXTRA = "Extra input (JSON)"
_EXTRA_VI = "Đầu vào bổ sung (JSON)"
_SMALLER = "Use a smaller image or a public https URL."
_SMALLER_VI = "Hãy dùng ảnh nhỏ hơn hoặc một URL https công khai."
_NOT_TWICE = "it was not retried so that you do not pay twice."
_NOT_TWICE_VI = "yêu cầu không được gửi lại để bạn không phải trả tiền hai lần."

# webui's own messages: limits, keys, Resume, the extra JSON box and uploads.
WEBUI: dict[str, tuple[str, str]] = {
    "msg.limit.concurrent": (
        "You already have {running} runs in progress (the limit is {limit}). Wait for one to "
        "finish, then try again.",
        "Bạn đang có {running} lượt chạy (giới hạn là {limit}). Hãy chờ một lượt xong rồi thử lại.",
    ),
    "msg.limit.hourly": (
        "You have used this app's {limit} runs for this hour. Try again in {wait_text}, or "
        "enter your own CometAPI key to run without this limit.",
        "Bạn đã dùng hết {limit} lượt chạy của ứng dụng trong giờ này. Hãy thử lại sau "
        "{wait_text}, hoặc nhập CometAPI key của riêng bạn để chạy không giới hạn.",
    ),
    "msg.limit.daily": (
        "This app's daily budget of {limit} runs is used up; it resets at midnight UTC, in "
        "{wait_text}. To run now, use your own CometAPI key.",
        "Ứng dụng đã dùng hết ngân sách {limit} lượt chạy trong ngày; ngân sách được đặt lại "
        "lúc nửa đêm UTC, sau {wait_text}. Để chạy ngay, hãy dùng CometAPI key của riêng bạn.",
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
    "msg.extra.wrapped": (f"{_EXTRA}: {{message_text}}", f"{_EXTRA_VI}: {{message_text}}"),
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
        '"{name}" is not an input name the API can have {where_text}; use letters, digits and _ '
        "only, at most {count} characters.",
        '"{name}" không phải tên đầu vào mà API có thể nhận {where_text}; chỉ dùng chữ cái, '
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
    "msg.upload.not_image": (
        '"{name}": the upload is not an image; use JPEG, PNG, GIF or WebP.',
        '"{name}": tệp tải lên không phải là ảnh; hãy dùng JPEG, PNG, GIF hoặc WebP.',
    ),
    "msg.upload.unreadable": (
        '"{name}": the image could not be read ({reason}).',
        '"{name}": không đọc được ảnh ({reason}).',
    ),
    "msg.upload.gone": (
        '"{name}": the uploaded file is gone; upload it again.',
        '"{name}": tệp đã tải lên không còn nữa; hãy tải lên lại.',
    ),
    "msg.upload.too_big": (
        f'"{{name}}": the upload is {{size}} MB; the limit is {{limit}} MB. {_SMALLER}',
        f'"{{name}}": tệp tải lên nặng {{size}} MB; giới hạn là {{limit}} MB. {_SMALLER_VI}',
    ),
    "msg.upload.format": (
        '"{name}": {kind_text} is not accepted; use JPEG, PNG, GIF or WebP.',
        '"{name}": {kind_text} không được chấp nhận; hãy dùng JPEG, PNG, GIF hoặc WebP.',
    ),
    "msg.upload.this_file": ("this file", "tệp này"),
    "msg.upload.pixels": (
        f'"{{name}}": {{what_text}}; the limit is {{limit}} megapixels. {_SMALLER}',
        f'"{{name}}": {{what_text}}; giới hạn là {{limit}} megapixel. {_SMALLER_VI}',
    ),
    "msg.upload.far_too_many": ("the image has far too many pixels", "ảnh có quá nhiều điểm ảnh"),
    "msg.upload.size": (
        "the image is {width} x {height} pixels ({megapixels} MP)",
        "ảnh có kích thước {width} x {height} điểm ảnh ({megapixels} MP)",
    ),
    "msg.url.not_https": (
        '"{name}": {url} is not a public https:// image URL.',
        '"{name}": {url} không phải URL ảnh https:// công khai.',
    ),
}

# comet's messages: validation against the catalogue, the API's refusals, the network.
COMET: dict[str, tuple[str, str]] = {
    "msg.value.must_be": (
        '"{name}" must be {rule_text}, got {value}',
        '"{name}" phải là {rule_text}, nhưng nhận được {value}',
    ),
    "msg.rule.whole": ("a whole number", "một số nguyên"),
    "msg.rule.number": ("a number", "một số"),
    "msg.rule.whole_between": (
        "a whole number between {low} and {high}",
        "một số nguyên từ {low} đến {high}",
    ),
    "msg.rule.whole_at_least": (
        "a whole number at least {low}",
        "một số nguyên không nhỏ hơn {low}",
    ),
    "msg.rule.whole_at_most": (
        "a whole number at most {high}",
        "một số nguyên không lớn hơn {high}",
    ),
    "msg.rule.number_between": ("a number between {low} and {high}", "một số từ {low} đến {high}"),
    "msg.rule.number_at_least": ("a number at least {low}", "một số không nhỏ hơn {low}"),
    "msg.rule.number_at_most": ("a number at most {high}", "một số không lớn hơn {high}"),
    "msg.rule.between": ("between {low} and {high}", "một giá trị từ {low} đến {high}"),
    "msg.rule.at_least": ("at least {low}", "một giá trị không nhỏ hơn {low}"),
    "msg.rule.at_most": ("at most {high}", "một giá trị không lớn hơn {high}"),
    "msg.rule.multiple": ("a multiple of {step}", "một bội số của {step}"),
    "msg.rule.bool": ("true or false", "true hoặc false"),
    "msg.rule.one_of": ("one of {choices}", "một trong {choices}"),
    "msg.rule.text": ("text", "văn bản"),
    "msg.rule.url": (
        "an https:// or http:// URL or a data:image/...;base64,... URI",
        "một URL https:// hoặc http:// hoặc một URI data:image/...;base64,...",
    ),
    "msg.rule.url_list": ("a list of image URLs", "một danh sách URL ảnh"),
    "msg.rule.url_or_data_list": (
        "a list of image URLs or data: URIs",
        "một danh sách URL ảnh hoặc URI data:",
    ),
    "msg.value.too_many_images": (
        '"{name}" takes at most {limit} images, got {count}',
        '"{name}" nhận tối đa {limit} ảnh, nhưng nhận được {count}',
    ),
    "msg.value.unknown_close": (
        'Unknown input "{name}" for {model}. Did you mean "{close}"? Valid inputs: {names}.',
        'Đầu vào "{name}" không có ở {model}. Có phải bạn muốn nói "{close}"? Các đầu vào '
        "hợp lệ: {names}.",
    ),
    "msg.value.unknown_list": (
        'Unknown input "{name}" for {model}. Valid inputs: {names}.',
        'Đầu vào "{name}" không có ở {model}. Các đầu vào hợp lệ: {names}.',
    ),
    "msg.value.only_with": (
        '"{name}" is only used when "{other}" is "{wanted}", but "{other}" is {actual}; set '
        '"{other}" to "{wanted}" or leave "{name}" empty',
        '"{name}" chỉ được dùng khi "{other}" là "{wanted}", nhưng "{other}" đang là {actual}; '
        'hãy đặt "{other}" thành "{wanted}" hoặc để trống "{name}"',
    ),
    "msg.value.needs": (
        '"{other}" "{wanted}" needs {needed}; "{name}" is missing',
        '"{other}" "{wanted}" cần {needed}; đang thiếu "{name}"',
    ),
    "msg.value.safety_cap": (
        '"safety_tolerance" can be at most {cap} when an "{field}" is given, got {value}',
        '"safety_tolerance" tối đa là {cap} khi có "{field}", nhưng nhận được {value}',
    ),
    "msg.value.unknown_model": (
        'Unknown model "{model}". Known models: {known}.',
        'Không có mô hình "{model}". Các mô hình đã biết: {known}.',
    ),
    "msg.value.prompt_empty": (
        'Prompt is empty: "prompt" must describe the image you want.',
        'Prompt đang trống: "prompt" phải mô tả bức ảnh bạn muốn.',
    ),
    "msg.value.required": ('"{name}" is required.', '"{name}" là bắt buộc.'),
    "msg.api.blocked": (
        "CometAPI accepted the API key but blocked this request (HTTP 403): {detail} This "
        "model, or one of the inputs sent, is not enabled for this key: check the key's model "
        "access in the CometAPI console ({url}).",
        "CometAPI chấp nhận API key nhưng chặn yêu cầu này (HTTP 403): {detail} Mô hình này, "
        "hoặc một đầu vào đã gửi, chưa được bật cho key này: hãy kiểm tra quyền truy cập mô "
        "hình của key trong trang quản lý CometAPI ({url}).",
    ),
    "msg.api.not_found": (
        "Not found ({what_text}): {detail}",
        "Không tìm thấy ({what_text}): {detail}",
    ),
    "msg.api.what_prediction": ("prediction", "prediction"),
    "msg.api.what_route": ("model or route", "mô hình hoặc đường dẫn"),
    "msg.api.rejected": (
        "CometAPI rejected the request ({why}): {detail}",
        "CometAPI từ chối yêu cầu ({why}): {detail}",
    ),
    "msg.api.server": (
        "CometAPI had a server error ({inner}).",
        "CometAPI gặp lỗi máy chủ ({inner}).",
    ),
    "msg.api.server_creating": (
        f"CometAPI had a server error ({{inner}}). The prediction may have been created "
        f"anyway; {_NOT_TWICE}",
        f"CometAPI gặp lỗi máy chủ ({{inner}}). Prediction có thể vẫn đã được tạo; {_NOT_TWICE_VI}",
    ),
    "msg.api.redirect": (
        "Unexpected redirect (HTTP {status}) to {location}: check COMET_BASE_URL.",
        "Chuyển hướng bất ngờ (HTTP {status}) tới {location}: hãy kiểm tra COMET_BASE_URL.",
    ),
    "msg.api.status": (
        "CometAPI answered HTTP {status}: {detail}",
        "CometAPI trả về HTTP {status}: {detail}",
    ),
    "msg.net.connect": (
        "Could not connect to {url} within {seconds} s.",
        "Không kết nối được tới {url} trong vòng {seconds} s.",
    ),
    "msg.net.create_timeout": (
        f"{{url}} did not answer the create request within {{seconds}} s. The prediction may "
        f"have been created (and billed) anyway; {_NOT_TWICE} Check your CometAPI dashboard "
        "before trying again.",
        f"{{url}} không trả lời yêu cầu tạo trong vòng {{seconds}} s. Prediction có thể vẫn "
        f"đã được tạo (và bị tính phí); {_NOT_TWICE_VI} Hãy xem bảng điều khiển CometAPI "
        "trước khi thử lại.",
    ),
    "msg.net.timeout": (
        "{url} did not answer within {seconds} s.",
        "{url} không trả lời trong vòng {seconds} s.",
    ),
    "msg.net.dropped": (
        f"The connection to {{url}} dropped after the create request was sent. The "
        f"prediction may have been created (and billed); {_NOT_TWICE}",
        f"Kết nối tới {{url}} bị ngắt sau khi đã gửi yêu cầu tạo. Prediction có thể đã được "
        f"tạo (và bị tính phí); {_NOT_TWICE_VI}",
    ),
    "msg.net.unreachable": (
        "Could not reach {url}: {reason}",
        "Không kết nối được tới {url}: {reason}",
    ),
    "msg.net.failed": ("Request to {url} failed: {reason}", "Yêu cầu tới {url} thất bại: {reason}"),
    "msg.net.not_json": (
        "{url} sent a response that is not valid JSON (HTTP {status}, {snippet}).",
        "{url} gửi về một phản hồi không phải JSON hợp lệ (HTTP {status}, {snippet}).",
    ),
    "msg.net.bad_prediction": (
        "{url} sent a prediction without an id or in an unknown shape: {snippet}",
        "{url} gửi về một prediction không có id hoặc có dạng không rõ: {snippet}",
    ),
    "msg.wait.deadline": (
        "Prediction {id} is still {status} after {seconds} s. It may still finish: resume it "
        "with `python -m comet get {id}`.",
        "Prediction {id} vẫn ở trạng thái {status} sau {seconds} s. Nó có thể vẫn chạy xong: "
        "hãy tiếp tục nó bằng `python -m comet get {id}`.",
    ),
    "msg.wait.retrying": (
        "{message_text} Retrying in {seconds} s.",
        "{message_text} Thử lại sau {seconds} s.",
    ),
    "msg.save.one": (
        "{failed} of {total} image could not be saved: {details}",
        "{failed}/{total} ảnh không lưu được: {details}",
    ),
    "msg.save.many": (
        "{failed} of {total} images could not be saved: {details}",
        "{failed}/{total} ảnh không lưu được: {details}",
    ),
}

STRINGS: dict[str, tuple[str, str]] = {**WEBUI, **COMET}
