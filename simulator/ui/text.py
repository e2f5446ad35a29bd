"""Every string the Streamlit UI shows, in English and Russian."""

from simulator.base.sections import Lang

TEXT: dict[str, dict[Lang, str]] = {
    "title": {"en": "ML system design interview", "ru": "Интервью по проектированию ML-систем"},
    "nav": {"en": "Go to", "ru": "Раздел"},
    "nav.start": {"en": "New interview", "ru": "Новое интервью"},
    "nav.interview": {"en": "Interview", "ru": "Интервью"},
    "nav.grade": {"en": "Grade a written design", "ru": "Оценить письменный дизайн"},
    "nav.history": {"en": "History", "ru": "История"},
    "language": {"en": "Language", "ru": "Язык"},
    "scenario": {"en": "Scenario", "ru": "Сценарий"},
    "random": {"en": "Surprise me", "ru": "Случайный"},
    "difficulty": {"en": "Difficulty", "ru": "Сложность"},
    "difficulty.easy": {"en": "Easy: 60 minutes", "ru": "Лёгкая: 60 минут"},
    "difficulty.normal": {"en": "Normal: 45 minutes", "ru": "Обычная: 45 минут"},
    "difficulty.hard": {"en": "Hard: 30 minutes", "ru": "Сложная: 30 минут"},
    "model": {"en": "Model", "ru": "Модель"},
    "model.local": {"en": "Local (offline)", "ru": "Локальная (офлайн)"},
    "model.openai": {"en": "OpenAI", "ru": "OpenAI"},
    "model.compatible": {"en": "OpenAI-compatible server", "ru": "OpenAI-совместимый сервер"},
    "model.name": {"en": "Model name", "ru": "Имя модели"},
    "model.key": {
        "en": "API key (kept in this browser session only)",
        "ru": "API-ключ (хранится только в этой сессии браузера)",
    },
    "model.url": {"en": "Base URL", "ru": "Базовый URL"},
    "start": {"en": "Start the interview", "ru": "Начать интервью"},
    "no_session": {
        "en": "No interview in progress: start one or resume one from History.",
        "ru": "Интервью не идёт: начните новое или продолжите из истории.",
    },
    "input": {
        "en": "Ask a question or explain your design…",
        "ru": "Задайте вопрос или расскажите…",
    },
    "sections": {"en": "Sections", "ru": "Разделы"},
    "time": {"en": "Time", "ru": "Время"},
    "minutes": {"en": "{used} of {budget} min", "ru": "{used} из {budget} мин"},
    "tokens": {"en": "Tokens", "ru": "Токены"},
    "cost": {"en": "Estimated cost", "ru": "Оценка стоимости"},
    "approx": {
        "en": "≈ estimated: no tokenizer file is cached offline",
        "ru": "≈ оценка: файла токенизатора нет в офлайн-кэше",
    },
    "finish": {"en": "Finish and get feedback", "ru": "Закончить и получить разбор"},
    "grading": {"en": "Grading your answer…", "ru": "Оцениваем ответ…"},
    "graded": {"en": "Feedback is ready", "ru": "Разбор готов"},
    "model_error": {
        "en": "The model failed: {error}. Your messages are saved. "
        "Retry, or switch to the local model.",
        "ru": "Модель не ответила: {error}. Ваши сообщения сохранены. Повторите или "
        "переключитесь на локальную модель.",
    },
    "retry": {"en": "Retry", "ru": "Повторить"},
    "use_local": {"en": "Switch to the local model", "ru": "Перейти на локальную модель"},
    "report": {"en": "Feedback", "ru": "Разбор"},
    "overall": {"en": "Overall score", "ru": "Итоговая оценка"},
    "fallback": {
        "en": "⚠ The configured model failed; the local model graded this.",
        "ru": "⚠ Выбранная модель не справилась; оценила локальная модель.",
    },
    "evidence": {"en": "What you said", "ru": "Что вы сказали"},
    "missed": {"en": "What was missing", "ru": "Чего не хватило"},
    "advice": {"en": "Advice", "ru": "Совет"},
    "read_next": {"en": "Read next", "ru": "Что почитать"},
    "download": {"en": "Download {fmt}", "ru": "Скачать {fmt}"},
    "paste": {"en": "Paste your design", "ru": "Вставьте ваш дизайн"},
    "upload": {"en": "…or upload a .md / .txt file", "ru": "…или загрузите файл .md / .txt"},
    "grade": {"en": "Grade it", "ru": "Оценить"},
    "scenario_optional": {"en": "Scenario (optional)", "ru": "Сценарий (необязательно)"},
    "none": {"en": "nothing yet", "ru": "пока ничего"},
    "no_scenario": {"en": "None", "ru": "Без сценария"},
    "empty_design": {
        "en": "Paste or upload a design first.",
        "ru": "Сначала вставьте или загрузите дизайн.",
    },
    "history_empty": {"en": "No interviews yet.", "ru": "Интервью пока нет."},
    "resume": {"en": "Open", "ru": "Открыть"},
    "delete": {"en": "Delete", "ru": "Удалить"},
    "over_time": {"en": "Section scores over time", "ru": "Оценки по разделам со временем"},
    "finished": {"en": "finished", "ru": "завершено"},
    "active": {"en": "in progress", "ru": "идёт"},
}


def t(key: str, lang: Lang, **values: object) -> str:
    text = TEXT[key][lang]
    return text.format(**values) if values else text
