;;; emacs-check.el --- the packaged ap-mode, as Emacs loads it at startup -*- lexical-binding: t; -*-

;; Run by tests/package/run.sh from the "failing" fixture's workspace, the
;; package unpacked into ROOT:
;;   emacs --batch -Q -l ROOT/usr/share/emacs/site-lisp/apls/apls-start.el -l emacs-check.el
;; (the file /etc/emacs/site-start.d/50apls.el links to, taken from the
;; unpacked root; PATH has the root's bin first), or the package installed:
;;   emacs --batch -q -l emacs-check.el
;; (Debian's site start runs /etc/emacs/site-start.d/50apls.el; ROOT is /).
;; Environment: APLS_ROOT, APLS_LABEL (prefix of each line), APLS_OUT (one
;; "ok - ..." / "not ok - ..." line each).

;;; Code:

(defvar apls-check-root (file-name-as-directory (getenv "APLS_ROOT")))

(defun apls-check-report (ok what &optional detail)
  "Write one result line: OK, WHAT, and DETAIL when it failed."
  (with-temp-buffer
    (insert (format "%s - %s: %s%s\n" (if ok "ok" "not ok") (or (getenv "APLS_LABEL") "package: emacs") what
                    (if (and (not ok) detail) (format " (%S)" detail) "")))
    (append-to-file (point-min) (point-max) (getenv "APLS_OUT")))
  ok)

(defun apls-check-wait (seconds pred)
  "Process events until PRED is non-nil or SECONDS have passed."
  (let ((end (+ (float-time) seconds)) v)
    (while (and (not (setq v (funcall pred))) (< (float-time) end))
      (accept-process-output nil 0.05))
    v))

(condition-case err
    (progn
      (apls-check-report (not (featurep 'ap-mode)) "the start file loads nothing but autoloads")
      (find-file (expand-file-name "broken.ap"))
      (apls-check-report (eq major-mode 'ap-mode) "a .ap file opens in ap-mode" major-mode)
      (apls-check-report (string-prefix-p (concat apls-check-root "usr/share/emacs/site-lisp/apls/")
                                          (or (locate-library "ap-mode") ""))
                         "ap-mode comes from the package" (locate-library "ap-mode"))
      ;; Debian's eglot 1.9 (-Q skipped the site start files that add it)
      (let ((default-directory "/usr/share/emacs/site-lisp/elpa/"))
        (when (file-directory-p default-directory) (normal-top-level-add-subdirs-to-load-path)))
      (require 'eglot)
      (apls-check-report (equal (executable-find "apls") (concat apls-check-root "usr/bin/apls"))
                         "apls on exec-path is the package's" (executable-find "apls"))
      (apply #'eglot (eglot--guess-contact))
      (let ((server (apls-check-wait 20 (lambda () (eglot-current-server)))))
        (apls-check-report (and server (equal (plist-get (eglot--server-info server) :name) "apls"))
                           "M-x eglot starts apls")
        (apls-check-report
         (apls-check-wait 20 (lambda ()
                               (cl-some (lambda (d) (string-match-p "SNIPPET_NOT_FOUND"
                                                                    (format "%s" (flymake-diagnostic-text d))))
                                        (flymake-diagnostics))))
         "its diagnostic shows in flymake" (mapcar #'flymake-diagnostic-text (flymake-diagnostics)))
        (when server (ignore-errors (eglot-shutdown server)))))
  (error (apls-check-report nil "the check ran to its end" err)))

(kill-emacs 0)
;;; emacs-check.el ends here
