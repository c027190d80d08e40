# ruff: noqa: RUF001 -- the Azerbaijani and Turkish dotless i and Cyrillic letters are meant
"""The banner's built-in texts in every language of core/languages.py.

They are data rather than gettext messages: the banner is shown in the language of
the news site's page, not the reader's language on this service, and a site's
admin overrides the title, the body and the category descriptions per language.
"""

from __future__ import annotations

from typing import Any

FALLBACK_LANGUAGE = "en"

DEFAULTS: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Cookies on this site",
        "body": "We use cookies that are strictly necessary for this site to work. With your "
        "permission we would also use cookies to remember your preferences, to measure how "
        "the site is used, and for marketing. Nothing optional is switched on until you choose.",
        "accept_all": "Accept all",
        "reject_all": "Reject all",
        "preferences": "Preferences",
        "preferences_title": "Cookie preferences",
        "preferences_body": "Choose which optional cookies this site may use. You can change "
        "your mind at any time with the “Cookie settings” link.",
        "save": "Save choices",
        "close": "Close",
        "always_on": "Always on",
        "gpc_note": "Your browser sends a Global Privacy Control signal, so analytics and "
        "marketing stay off unless you switch them on yourself.",
        "consent_id": "Your consent ID",
        "version": "version",
        "labels": {
            "necessary": "Strictly necessary",
            "preferences": "Preferences",
            "analytics": "Analytics",
            "marketing": "Marketing",
        },
        "descriptions": {
            "necessary": "Needed for the site to work, for example to keep you signed in and "
            "to remember this choice. They cannot be switched off.",
            "preferences": "Remember settings such as your language or text size.",
            "analytics": "Help us understand how the site is used so we can improve it. The "
            "statistics are aggregated.",
            "marketing": "Used to show advertising relevant to you and to measure its effect, "
            "possibly across other sites.",
        },
        "policies": {"privacy": "Privacy policy", "cookies": "Cookie policy"},
    },
    "az": {
        "title": "Bu saytda kukilər",
        "body": "Saytın işləməsi üçün mütləq zəruri olan kukilərdən istifadə edirik. "
        "İcazənizlə seçimlərinizi yadda saxlamaq, saytdan necə istifadə olunduğunu ölçmək "
        "və marketinq üçün də kukilərdən istifadə edərdik. Siz seçim edənə qədər heç bir "
        "əlavə kuki işə salınmır.",
        "accept_all": "Hamısını qəbul et",
        "reject_all": "Hamısını rədd et",
        "preferences": "Parametrlər",
        "preferences_title": "Kuki parametrləri",
        "preferences_body": "Bu saytın hansı əlavə kukilərdən istifadə edə biləcəyini seçin. "
        "Fikrinizi istənilən vaxt «Kuki parametrləri» linki ilə dəyişə bilərsiniz.",
        "save": "Seçimləri yadda saxla",
        "close": "Bağla",
        "always_on": "Həmişə aktivdir",
        "gpc_note": "Brauzeriniz Global Privacy Control siqnalı göndərir, ona görə analitika "
        "və marketinq, özünüz aktiv etməsəniz, söndürülmüş qalır.",
        "consent_id": "Razılıq identifikatorunuz",
        "version": "versiya",
        "labels": {
            "necessary": "Mütləq zəruri",
            "preferences": "Seçimlər",
            "analytics": "Analitika",
            "marketing": "Marketinq",
        },
        "descriptions": {
            "necessary": "Saytın işləməsi üçün lazımdır, məsələn, hesabınızda qalmağınız və bu "
            "seçimin yadda saxlanması üçün. Onları söndürmək olmaz.",
            "preferences": "Dil və ya mətn ölçüsü kimi parametrlərinizi yadda saxlayır.",
            "analytics": "Saytdan necə istifadə olunduğunu anlamağa və onu təkmilləşdirməyə "
            "kömək edir. Statistika ümumiləşdirilmiş şəkildə toplanır.",
            "marketing": "Sizə uyğun reklam göstərmək və onun təsirini ölçmək üçün, bəzən "
            "başqa saytlarda da istifadə olunur.",
        },
        "policies": {"privacy": "Məxfilik siyasəti", "cookies": "Kuki siyasəti"},
    },
    "ru": {
        "title": "Файлы cookie на этом сайте",
        "body": "Мы используем файлы cookie, строго необходимые для работы сайта. С вашего "
        "разрешения мы также использовали бы cookie, чтобы запоминать ваши настройки, "
        "измерять посещаемость и для маркетинга. Ничего необязательного не включается, "
        "пока вы не сделаете выбор.",
        "accept_all": "Принять все",
        "reject_all": "Отклонить все",
        "preferences": "Настройки",
        "preferences_title": "Настройки файлов cookie",
        "preferences_body": "Выберите, какие необязательные файлы cookie может использовать "
        "этот сайт. Передумать можно в любой момент по ссылке «Настройки cookie».",
        "save": "Сохранить выбор",
        "close": "Закрыть",
        "always_on": "Всегда включены",
        "gpc_note": "Ваш браузер передаёт сигнал Global Privacy Control, поэтому аналитика и "
        "маркетинг остаются выключенными, если вы не включите их сами.",
        "consent_id": "Ваш идентификатор согласия",
        "version": "версия",
        "labels": {
            "necessary": "Строго необходимые",
            "preferences": "Предпочтения",
            "analytics": "Аналитика",
            "marketing": "Маркетинг",
        },
        "descriptions": {
            "necessary": "Нужны для работы сайта, например чтобы вы оставались в системе и "
            "чтобы запомнить этот выбор. Их нельзя отключить.",
            "preferences": "Запоминают такие настройки, как язык или размер текста.",
            "analytics": "Помогают понять, как используется сайт, чтобы его улучшать. "
            "Статистика собирается в обобщённом виде.",
            "marketing": "Используются, чтобы показывать подходящую вам рекламу и измерять её "
            "эффективность, в том числе на других сайтах.",
        },
        "policies": {
            "privacy": "Политика конфиденциальности",
            "cookies": "Политика в отношении файлов cookie",
        },
    },
    "tr": {
        "title": "Bu sitede çerezler",
        "body": "Sitenin çalışması için kesinlikle gerekli olan çerezleri kullanıyoruz. İzin "
        "verirseniz tercihlerinizi hatırlamak, sitenin nasıl kullanıldığını ölçmek ve pazarlama "
        "amacıyla da çerez kullanırız. Siz seçim yapana kadar isteğe bağlı hiçbir çerez "
        "etkinleştirilmez.",
        "accept_all": "Tümünü kabul et",
        "reject_all": "Tümünü reddet",
        "preferences": "Tercihler",
        "preferences_title": "Çerez tercihleri",
        "preferences_body": "Bu sitenin hangi isteğe bağlı çerezleri kullanabileceğini seçin. "
        "Fikrinizi istediğiniz zaman “Çerez ayarları” bağlantısından değiştirebilirsiniz.",
        "save": "Seçimleri kaydet",
        "close": "Kapat",
        "always_on": "Her zaman açık",
        "gpc_note": "Tarayıcınız Global Privacy Control sinyali gönderiyor; bu nedenle analitik "
        "ve pazarlama çerezleri, siz kendiniz açmadıkça kapalı kalır.",
        "consent_id": "Onay kimliğiniz",
        "version": "sürüm",
        "labels": {
            "necessary": "Zorunlu",
            "preferences": "Tercihler",
            "analytics": "Analitik",
            "marketing": "Pazarlama",
        },
        "descriptions": {
            "necessary": "Sitenin çalışması için gereklidir; örneğin oturumunuzun açık kalması "
            "ve bu seçimin hatırlanması için. Kapatılamazlar.",
            "preferences": "Dil veya yazı boyutu gibi ayarlarınızı hatırlar.",
            "analytics": "Sitenin nasıl kullanıldığını anlamamıza ve onu geliştirmemize yardımcı "
            "olur. İstatistikler toplu hâlde tutulur.",
            "marketing": "Size uygun reklamlar göstermek ve etkilerini ölçmek için, başka "
            "sitelerde de kullanılabilir.",
        },
        "policies": {"privacy": "Gizlilik Politikası", "cookies": "Çerez Politikası"},
    },
}
