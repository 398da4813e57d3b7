"""xlreport in a browser (Flask under waitress): the clerk's round trip on 127.0.0.1, and the
office's collection of its agencies' workbooks. As thin as the CLI: each page calls the library.

- ``app``: the Flask application, its security (Host check, CSRF, headers, limits) and errors;
- ``local``: 新建, 检查, 生成, 导入/审阅 — upload, answer, download;
- ``office``: agencies with their secret links, submissions, the overview and the 汇总;
- ``store``: the office's folder (SQLite and plain files);
- ``work``: the bounded pool the checking and building run in, with progress;
- ``views``: what a page shows of a check (problems, the three tables with marked cells);
- ``serve``: the server (waitress), its address, the browser.
"""
