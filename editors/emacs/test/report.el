;;; report.el --- one result line per check, for the Emacs tests -*- lexical-binding: t; -*-

;; Loaded by run.el, package.el and modes.el: each names its checks with
;; its own LABEL ("emacs helper", "emacs package mode-first", ...) and
;; editors/run-tests.sh counts the lines in the file APLS_OUT names.

;;; Code:

(defun apls-report-line (label ok what &optional detail)
  "Append \"ok - LABEL: WHAT\" (or \"not ok - ...\", with DETAIL) to APLS_OUT.
Returns OK."
  (with-temp-buffer
    (insert (format "%s - %s: %s%s\n" (if ok "ok" "not ok") label what
                    (if (and (not ok) detail)
                        (format " (%s)" (replace-regexp-in-string "\n" " | " (format "%S" detail)))
                      "")))
    (append-to-file (point-min) (point-max) (getenv "APLS_OUT")))
  ok)

(provide 'apls-report)

;;; report.el ends here
