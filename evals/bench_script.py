"""The scripted 30-message candidate the benchmark interviews (English, product_recs).

Short, ordinary messages that cover the design a little at a time, so the interview lasts all
thirty turns: clarifying questions, partial answers, a hint request, a time check, an aside.
"""

BENCH_SCENARIO = "product_recs"

BENCH_MESSAGES: tuple[str, ...] = (
    "How many users and items are we talking about?",
    "What latency budget do we have for serving recommendations?",
    "Do we need to retrain the model regularly?",
    "Let me restate: we recommend products to users on the home page.",
    "What hardware do we have for training?",
    "Can I get a hint?",
    "How are labels collected, clicks or purchases?",
    "Is the catalogue the same in every country?",
    "Are there privacy rules about user data?",
    "How much traffic do we get at peak?",
    "Offline I would look at precision at k.",
    "Online the main metric would be click-through rate.",
    "How much time is left in the interview?",
    "I would also watch revenue per session.",
    "Diversity of recommendations would matter too.",
    "Do most users come from mobile devices?",
    "Is there a cold-start problem for new users?",
    "The pipeline: logs go to a warehouse, then feature jobs.",
    "Then a candidate generator and a ranker.",
    "By the way, what is your favourite football team?",
    "The ranker output is served from an online service.",
    "Candidates are refreshed every night.",
    "Can we use purchase history as labels?",
    "Is the model allowed to use location?",
    "The target is whether the user clicked.",
    "Features: user history, item popularity, category.",
    "We split train and test by time.",
    "I'm not sure what else to add here, a hint please.",
    "Missing values get a default bucket.",
    "As a baseline, recommend the most popular items.",
)
