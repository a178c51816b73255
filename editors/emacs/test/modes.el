;;; modes.el --- ap-mode's two parents, font lock of both formats -*- lexical-binding: t; -*-

;; Run by editors/run-tests.sh twice:
;;   APLS_PARENT=yaml-mode emacs --batch -Q -L editors/emacs -l editors/emacs/test/modes.el
;;   APLS_PARENT=prog-mode ... (yaml-mode hidden from the load path)
;; `ap-mode' derives from `yaml-mode' when that is installed, else from
;; `prog-mode' with a small syntax table of its own: both are what users
;; get, so both are tested.  APLS_OUT gets one "ok - ..." / "not ok - ..."
;; line per check.

;;; Code:

(require 'cl-lib)

(defvar apls-modes-parent (or (getenv "APLS_PARENT") "prog-mode"))

(load (expand-file-name "report" (file-name-directory (or load-file-name buffer-file-name))) nil t)

(defun apls-modes-report (ok what &optional detail)
  "Write one result line: OK, WHAT, and DETAIL when it failed."
  (apls-report-line (concat "emacs ap-mode over " apls-modes-parent) ok what detail))

;; Debian's elpa packages, skipped by -Q; yaml-mode's folder left out for
;; the prog-mode run, as on a machine without it
(let ((default-directory "/usr/share/emacs/site-lisp/elpa/"))
  (when (file-directory-p default-directory)
    (normal-top-level-add-subdirs-to-load-path)))
(unless (equal apls-modes-parent "yaml-mode")
  (setq load-path (cl-remove-if (lambda (d) (string-match-p "yaml-mode" d)) load-path)))
(require 'ap-mode)

(defun apls-modes-faces (re)
  "The faces at the first group of the first match of RE, as a list."
  (save-excursion
    (goto-char (point-min))
    (and (let ((case-fold-search nil)) (re-search-forward re nil t))
         (let ((f (get-text-property (match-beginning 1) 'face)))
           (if (listp f) f (list f))))))

(defun apls-modes-faces-in (from to)
  "Every face put on the text between FROM and TO (a line's bounds)."
  (let (faces)
    (dotimes (i (- to from))
      (let ((f (get-text-property (+ from i) 'face)))
        (dolist (x (if (listp f) f (list f)))
          (when x (cl-pushnew x faces)))))
    faces))

(defun apls-modes-line-faces (re)
  "The faces anywhere on the first line matching RE."
  (save-excursion
    (goto-char (point-min))
    (and (let ((case-fold-search nil)) (re-search-forward re nil t))
         (apls-modes-faces-in (line-beginning-position) (line-end-position)))))

(defconst apls-modes-v2
  "# Summary: swap the operands
version: \"2.0\"
changes:
  - file_path: calc.py
    modifications:
      - action: REPLACE
        snippet: |
          return a + b  # the sum
        content: |
          return b + a
")

(defconst apls-modes-v3
  "e4a2f1b8 AP 3.2
e4a2f1b8 FILE
calc.py
e4a2f1b8 REPLACE
e4a2f1b8 snippet
key: \"value\"  # a value line, not YAML, not a comment
e4a2f1b8 content
return b + a
e4a2f1b8 END
")

(apls-modes-report (eq (get 'ap-mode 'derived-mode-parent) (intern apls-modes-parent))
                   "the parent mode is the one installed" (get 'ap-mode 'derived-mode-parent))

(with-temp-buffer
  (insert apls-modes-v2)
  (ap-mode)
  (font-lock-ensure)
  (apls-modes-report (and (equal ap-format "2.0") (equal mode-name "AP/2.0"))
                     "a 2.0 text: format 2.0 in the mode line" (list ap-format mode-name))
  (apls-modes-report (and (memq 'font-lock-constant-face (apls-modes-faces "action: *\\(REPLACE\\)"))
                          (memq 'font-lock-function-name-face (apls-modes-faces "^ *\\(snippet\\):"))
                          (memq 'font-lock-doc-face (apls-modes-faces "^# \\(Summary\\):")))
                     "2.0: actions, code-carrying keys and the summary have ap-mode's faces"
                     (list (apls-modes-faces "action: *\\(REPLACE\\)") (apls-modes-faces "^ *\\(snippet\\):")))
  (apls-modes-report (equal comment-start "# ") "2.0: '#' starts a comment" comment-start)
  ;; the format changes under the user's hands (apls/status says so)
  (erase-buffer)
  (insert apls-modes-v3)
  (ap--set-format "3.2")
  (font-lock-ensure)
  (apls-modes-report (and (equal ap-format "3.2") (equal mode-name "AP/3.2"))
                     "the text became 3.2: format 3.2 in the mode line" (list ap-format mode-name)))

(with-temp-buffer
  (insert apls-modes-v3)
  (ap-mode)
  (font-lock-ensure)
  (apls-modes-report (equal ap-format "3.2") "a 3.2 text: detected as 3.2 on opening" ap-format)
  (apls-modes-report (and (memq 'font-lock-keyword-face (apls-modes-faces "^e4a2f1b8 \\(REPLACE\\)"))
                          (memq 'font-lock-function-name-face (apls-modes-faces "^e4a2f1b8 \\(snippet\\)$"))
                          (memq 'font-lock-variable-name-face (apls-modes-faces "^\\(e4a2f1b8\\) AP")))
                     "3.2: the id and directives have ap-mode's faces"
                     (apls-modes-faces "^e4a2f1b8 \\(REPLACE\\)"))
  (apls-modes-report (null (apls-modes-line-faces "^key: \"value\""))
                     "3.2: a value line gets no face (no YAML key, string or comment)"
                     (apls-modes-line-faces "^key: \"value\""))
  ;; and back to 2.0: ap-mode's keywords again, over the parent's
  (erase-buffer)
  (insert apls-modes-v2)
  (ap--set-format "2.0")
  (font-lock-ensure)
  (apls-modes-report (and (equal mode-name "AP/2.0")
                          (memq 'font-lock-constant-face (apls-modes-faces "action: *\\(REPLACE\\)"))
                          (memq 'font-lock-function-name-face (apls-modes-faces "^ *\\(snippet\\):")))
                     "back to 2.0: ap-mode's faces again"
                     (list mode-name (apls-modes-faces "action: *\\(REPLACE\\)"))))

(kill-emacs 0)

;;; modes.el ends here
