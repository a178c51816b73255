;;; run.el --- one fixture in a real Emacs (batch) with eglot -*- lexical-binding: t; -*-

;; Run by editors/run-tests.sh from the fixture's workspace:
;;   emacs --batch -Q -L editors/emacs -l editors/emacs/test/run.el
;; Environment: APLS_BIN, APLS_CASE (case.json), APLS_MODE ("helper":
;; `ap-apply-patch'; "builtin": eglot's own `eglot-code-actions' with kind
;; source.applyPatch), APLS_OUT (one "ok - ..." / "not ok - ..." line each).
;; The caller compares the workspace with the expected tree afterwards.

;;; Code:

(require 'cl-lib)
(require 'json)
(unless (locate-library "eglot")
  ;; Debian's elpa-eglot, when -Q skipped the site start files
  (let ((default-directory "/usr/share/emacs/site-lisp/elpa/"))
    (when (file-directory-p default-directory)
      (normal-top-level-add-subdirs-to-load-path))))
(require 'eglot)
(require 'flymake)
(require 'ap-mode)

(defvar apls-test-mode (or (getenv "APLS_MODE") "helper"))
(defvar apls-test-out (getenv "APLS_OUT"))
(defvar apls-test-case
  (let ((json-object-type 'plist) (json-array-type 'list) (json-key-type 'keyword)
        (json-false nil))
    (json-read-file (getenv "APLS_CASE"))))
(defvar apls-test-root (file-name-as-directory (expand-file-name default-directory)))

(load (expand-file-name "report" (file-name-directory (or load-file-name buffer-file-name))) nil t)

(defun apls-test-report (ok what &optional detail)
  "Write one result line: OK, WHAT, and DETAIL when it failed."
  (apls-report-line (concat "emacs " apls-test-mode) ok what detail))

(defun apls-test-wait (seconds pred)
  "Process events until PRED is non-nil or SECONDS have passed."
  (let ((end (+ (float-time) seconds)) v)
    (while (and (not (setq v (funcall pred))) (< (float-time) end))
      (accept-process-output nil 0.05))
    v))

;; observe (never change) what eglot receives
(defvar apls-test-published nil "Alist uri -> last diagnostics vector.")
(defvar apls-test-messages nil "window/showMessage texts.")
(advice-add 'eglot-handle-notification :before
            (lambda (_server method &rest args)
              (pcase method
                ('textDocument/publishDiagnostics
                 (setf (alist-get (plist-get args :uri) apls-test-published nil nil #'equal)
                       (plist-get args :diagnostics)))
                ('window/showMessage
                 (push (plist-get args :message) apls-test-messages)))))

(setq ap-server-command (list (getenv "APLS_BIN") "--log-level" "debug"))
(ap--register-eglot)
(setq eglot-sync-connect 10
      eglot-connect-timeout 20
      eglot-autoshutdown nil
      ;; no y-or-n-p when the server itself sends workspace/applyEdit
      eglot-confirm-server-initiated-edits nil
      make-backup-files nil)

(defvar apls-test-prompts nil "Questions eglot asked (answered yes, as a user would).")

(defun apls-test-file-bytes (file)
  "The bytes of FILE."
  (with-temp-buffer
    (set-buffer-multibyte nil)
    (insert-file-contents-literally file)
    (buffer-string)))

(defun apls-test-line-col-to-point (line character)
  "The buffer position of LSP LINE and CHARACTER (an ASCII line)."
  (save-excursion
    (goto-char (point-min))
    (forward-line line)
    (+ (point) character)))

(defun apls-test-run ()
  "The steps of the fixture."
  (let* ((case apls-test-case)
         (patch (expand-file-name (plist-get case :patch) apls-test-root))
         (patch-uri (eglot--path-to-uri patch))
         server pbuf unsynced)
    ;; 1. edits of target buffers: eglot gives apls only ap-mode buffers, so
    ;; the server sees the disk. A patch that resolves only in the edited
    ;; text needs them saved first; otherwise they stay unsaved, and applying
    ;; must be refused until they are saved.
    (dolist (e (plist-get case :buffer_edits))
      (with-current-buffer (find-file-noselect (expand-file-name (plist-get e :file) apls-test-root))
        (goto-char (point-min))
        (while (search-forward (plist-get e :from) nil t)
          (replace-match (plist-get e :to) t t))
        (if (plist-get case :patch_needs_buffer_text)
            (save-buffer)
          (push (current-buffer) unsynced))))
    ;; 2. the patch, and eglot as M-x eglot would start it
    (setq pbuf (find-file patch))
    (switch-to-buffer pbuf)
    (apls-test-report (eq major-mode 'ap-mode) "auto-mode-alist gives ap-mode" major-mode)
    ;; the mode itself: comment syntax and font lock of keys and actions
    (font-lock-ensure)
    (let ((face-at (lambda (re)
                     (save-excursion
                       (goto-char (point-min))
                       (and (let ((case-fold-search nil)) (re-search-forward re nil t))
                            (let ((f (get-text-property (match-beginning 1) 'face)))
                              (if (listp f) f (list f))))))))
      (apls-test-report (and (equal comment-start "# ")
                             (save-excursion (goto-char (point-min))
                                             (re-search-forward "^#" nil t) (forward-char 2)
                                             (nth 4 (syntax-ppss))))
                        "ap-mode: # starts a comment")
      (if (equal (plist-get case :format) "3.2")
          (progn
            (apls-test-report (and (equal ap-format "3.2") (equal mode-name "AP/3.2"))
                              "ap-mode: the text's format (3.2) in the mode line" (list ap-format mode-name))
            (apls-test-report (and (memq 'font-lock-keyword-face
                                         (funcall face-at "^[0-9a-f]\\{8\\} \\(REPLACE\\|INSERT_AFTER\\|FILE\\)"))
                                   (memq 'font-lock-function-name-face
                                         (funcall face-at "^[0-9a-f]\\{8\\} \\(content\\|snippet\\)$"))
                                   (memq 'font-lock-variable-name-face (funcall face-at "^\\([0-9a-f]\\{8\\}\\) AP"))
                                   (null (delq nil (funcall face-at "^\\(double area\\|def area\\)"))))
                              "ap-mode: 3.2 font lock of the id and directives, none on value lines"))
        (apls-test-report (and (memq 'font-lock-constant-face
                                     (funcall face-at "action: *\\(REPLACE\\|INSERT_AFTER\\|CREATE_FILE\\)"))
                               (memq 'font-lock-function-name-face
                                     (funcall face-at "^ *\\(?:- \\)?\\(content\\|snippet\\):"))
                               (memq 'font-lock-keyword-face (funcall face-at "^\\(version\\):")))
                          "ap-mode: font lock of actions, code-carrying keys and keys")))
    (apply #'eglot (eglot--guess-contact))
    (setq server (apls-test-wait 20 (lambda () (eglot-current-server))))
    (apls-test-report server "eglot connected to apls")
    (apls-test-report (equal (plist-get (eglot--server-info server) :name) "apls")
                      "the server is apls" (eglot--server-info server))
    (when (plist-get case :format)
      (apls-test-report (apls-test-wait 10 (lambda () (with-current-buffer pbuf ap-patch-status)))
                        "apls/status reached the buffer")
      (with-current-buffer pbuf
        (apls-test-report (and (equal (plist-get ap-patch-status :format) (plist-get case :format))
                               (equal ap-format (plist-get case :format)))
                          "ap-format is the server's" (list ap-patch-status ap-format))
        ;; the text turned into 2.0 and back: the server says so, the mode follows
        (let ((saved (buffer-string)) (was ap-format))
          (erase-buffer)
          (insert "version: \"2.0\"\nchanges: []\n")
          ;; (eglot sends changes on an idle timer, which a batch Emacs never reaches)
          (eglot--signal-textDocument/didChange)
          (apls-test-report (apls-test-wait 10 (lambda () (with-current-buffer pbuf
                                                           (and (equal ap-format "2.0")
                                                                (equal mode-name "AP/2.0")))))
                            "typed into 2.0: ap-format and the mode line follow" (list ap-format mode-name))
          (erase-buffer)
          (insert saved)
          (eglot--signal-textDocument/didChange)
          (apls-test-report (apls-test-wait 10 (lambda () (with-current-buffer pbuf (equal ap-format was))))
                            "and back" (list ap-format mode-name)))))
    ;; 3. diagnostics: as published, then as flymake shows them
    (let* ((want (plist-get case :errors))
           (errors-now (lambda ()
                         (cl-remove-if-not (lambda (d) (eql (plist-get d :severity) 1))
                                           (append (cdr (assoc patch-uri apls-test-published)) nil))))
           (matches (lambda ()
                      (and (assoc patch-uri apls-test-published)
                           (let ((got (funcall errors-now)))
                             (and (= (length got) (length want))
                                  (cl-every (lambda (d w)
                                              (and (equal (plist-get d :code) (plist-get w :code))
                                                   (equal (plist-get d :source) "apls")
                                                   (equal (plist-get d :range) (plist-get w :range))))
                                            got want)))))))
      (apls-test-report (apls-test-wait 15 matches)
                        (format "diagnostics: %d error(s) with the expected code and range" (length want))
                        (funcall errors-now))
      (flymake-start)
      (apls-test-wait 2 (lambda () (or (null want) (flymake-diagnostics))))
      (let* ((shown (cl-remove-if-not (lambda (d) (eq (flymake-diagnostic-type d) 'eglot-error))
                                      (flymake-diagnostics)))
             (shown (sort shown (lambda (a b) (< (flymake-diagnostic-beg a) (flymake-diagnostic-beg b))))))
        (apls-test-report
         (and (= (length shown) (length want))
              (cl-every (lambda (d w)
                          (let* ((r (plist-get w :range))
                                 (s (plist-get r :start)) (e (plist-get r :end)))
                            (and (string-match-p (regexp-quote (format "apls [%s]: " (plist-get w :code)))
                                                 (flymake-diagnostic-text d))
                                 (= (flymake-diagnostic-beg d)
                                    (apls-test-line-col-to-point (plist-get s :line) (plist-get s :character)))
                                 (= (flymake-diagnostic-end d)
                                    (apls-test-line-col-to-point (plist-get e :line) (plist-get e :character))))))
                        shown want))
         "flymake shows them, code in the text, on the expected region"
         (mapcar (lambda (d) (list (flymake-diagnostic-beg d) (flymake-diagnostic-end d)
                                   (flymake-diagnostic-text d)))
                 shown))))
    ;; 4. hover, as eldoc asks for it (plain text: eglot 1.9 without markdown-mode)
    (let* ((h (plist-get case :hover)) info done)
      (goto-char (apls-test-line-col-to-point (plist-get h :line) (plist-get h :character)))
      (eglot-hover-eldoc-function (lambda (doc &rest _) (setq info doc done t)))
      (apls-test-wait 10 (lambda () done))
      (apls-test-report (and (stringp info)
                             (cl-every (lambda (s) (string-match-p (regexp-quote s) info))
                                       (plist-get h :contains)))
                        (format "hover shows %s" (mapconcat #'identity (plist-get h :contains) ", "))
                        info)
      ;; plain text (eglot 1.9 without markdown-mode): the code as it is, no
      ;; markup or escapes
      (when (plist-get h :visible)
        (apls-test-report (and (stringp info)
                               (cl-every (lambda (s) (string-match-p (regexp-quote s) info))
                                         (plist-get h :visible))
                               (not (string-match-p "[`\\]\\|\\*\\*" info)))
                          (format "hover shows %s as plain text" (string-join (plist-get h :visible) ", "))
                          info)))
    ;; 4b. warnings (the slips a patch is read with)
    (when (plist-get case :warnings)
      (let ((now (lambda ()
                   (sort (cl-loop for d across (or (cdr (assoc patch-uri apls-test-published)) [])
                                  when (eql (plist-get d :severity) 2) collect (plist-get d :code))
                         #'string<))))
        (apls-test-report (apls-test-wait 10 (lambda () (equal (funcall now) (plist-get case :warnings))))
                          (format "warnings: %s" (string-join (plist-get case :warnings) ", "))
                          (funcall now))))
    ;; 4c. every problem's preferred quick fix (errors and warnings), one
    ;; after the other, chosen the way `eglot-code-actions' chooses (its
    ;; default is the preferred one)
    (when (plist-get case :preferred_fixes)
      (let (taken)
        (dotimes (_ 10)
          (let* ((ds (cl-remove-if-not (lambda (d) (memql (plist-get d :severity) '(1 2)))
                                       (append (cdr (assoc patch-uri apls-test-published)) nil)))
                 (d (car ds)))
            (when d
              (let* ((r (plist-get d :range))
                     (beg (apls-test-line-col-to-point (plist-get (plist-get r :start) :line)
                                                       (plist-get (plist-get r :start) :character)))
                     (end (apls-test-line-col-to-point (plist-get (plist-get r :end) :line)
                                                       (plist-get (plist-get r :end) :character)))
                     (before (cdr (assoc patch-uri apls-test-published)))
                     (last-nonmenu-event 13) ; a key, not a mouse click: no popup menu
                     chosen)
                (flymake-start)
                (apls-test-wait 2 (lambda () (flymake-diagnostics beg end)))
                (cl-letf (((symbol-function 'completing-read)
                           (lambda (_prompt _items &optional _pred _req _init _hist def &rest _)
                             (setq chosen def))))
                  (condition-case e (eglot-code-actions beg end "quickfix" t)
                    (error (push (format "error %s" e) taken))))
                (push (format "%s: %s" (plist-get d :code) chosen) taken)
                (apls-test-wait 10 (lambda () (not (eq before (cdr (assoc patch-uri apls-test-published))))))))))
        (apls-test-report (apls-test-wait 10 (lambda () (equal (cdr (assoc patch-uri apls-test-published)) [])))
                          "the preferred quick fixes leave no diagnostic"
                          (list (reverse taken) (cdr (assoc patch-uri apls-test-published))))))
    ;; 4d. completion at point (eglot's capf)
    (dolist (c (let ((c (plist-get case :complete))) ; one place, or a list of them
                 (if (plist-get c :after) (list c) c)))
      (progn
        (goto-char (point-min))
        (let* ((found (search-forward (plist-get c :after) nil t))
               (capf (and found (eglot-completion-at-point)))
               (cands (and capf (all-completions (buffer-substring-no-properties (nth 0 capf) (point))
                                                 (nth 2 capf)))))
          (apls-test-report (and cands (cl-every (lambda (w) (member w cands)) (plist-get c :contains)))
                            (format "completion after %s offers %s" (plist-get c :after)
                                    (string-join (plist-get c :contains) ", "))
                            cands))))
    ;; 4e. the code action menu at a failing modification: at most one entry
    ;; that only explains (eglot 1.9 shows no disabled actions)
    (let ((m (plist-get case :menu)))
      (when m
        (let* ((at (apls-test-line-col-to-point (plist-get m :line) (plist-get m :character)))
               (titles (mapcar (lambda (a) (plist-get a :title)) (eglot-code-actions at at))))
          (apls-test-report (and (cdr titles)
                                 (<= (cl-count-if (lambda (s) (string-match-p "(unavailable)" s)) titles)
                                     (plist-get m :max_unavailable)))
                            (format "the code action menu has at most %d \"(unavailable)\" entry"
                                    (plist-get m :max_unavailable))
                            titles))))
    ;; 5. the whole-patch action: first refused while a target buffer has
    ;; unsaved changes the server cannot see (nothing changes), then applied
    (goto-char (point-min))
    (when unsynced
      (let ((texts (mapcar (lambda (b) (with-current-buffer b (buffer-string))) unsynced))
            (disk (mapcar (lambda (b) (apls-test-file-bytes (buffer-file-name b))) unsynced))
            (names (mapcar #'buffer-name unsynced))
            (names-ok (lambda (msg)
                        (and (stringp msg) (string-match-p "unsaved changes" msg)
                             (cl-every (lambda (n) (string-match-p (regexp-quote n) msg))
                                       (mapcar #'buffer-name unsynced))))))
        (if (equal apls-test-mode "helper")
            (let (result)
              (ap-apply-patch (lambda (ok msg) (setq result (list ok msg))))
              (apls-test-report (and (null (car result)) (funcall names-ok (cadr result)))
                                (format "ap-apply-patch refused while %s had unsaved changes, naming it"
                                        (string-join names ", "))
                                result))
          (let ((err (condition-case e
                         (progn (eglot-code-actions (point-min) (point-max) "source.applyPatch" t) nil)
                       (error (error-message-string e)))))
            (apls-test-report (funcall names-ok err)
                              (format "eglot-code-actions refused while %s had unsaved changes, naming it"
                                      (string-join names ", "))
                              err)))
        (apls-test-report (and (equal texts (mapcar (lambda (b) (with-current-buffer b (buffer-string))) unsynced))
                               (equal disk (mapcar (lambda (b) (apls-test-file-bytes (buffer-file-name b))) unsynced))
                               (cl-every #'buffer-modified-p unsynced))
                          "nothing was edited, in the buffers or on disk")
        (unless (equal apls-test-mode "helper")
          ;; as the message says: save, then apply again
          (dolist (b unsynced) (with-current-buffer b (save-buffer))))))
    (cl-letf (((symbol-function 'y-or-n-p)
               (lambda (prompt) (push prompt apls-test-prompts) t)))
      (if (equal apls-test-mode "helper")
          (let (result)
            (if unsynced
                ;; interactively: it offers to save them first (answered yes)
                (condition-case e
                    (progn (ap-apply-patch)
                           (setq result (list (and (cl-some (lambda (p) (string-match-p "save" p)) apls-test-prompts) t)
                                              apls-test-prompts)))
                  (error (setq result (list nil (error-message-string e)))))
              (ap-apply-patch (lambda (ok msg) (setq result (list ok msg)))))
            (if (plist-get case :applies)
                (apls-test-report (eq (car result) t) "ap-apply-patch applied the patch" result)
              (apls-test-report (and (null (car result))
                                     (string-match-p "must be fixed first" (or (cadr result) "")))
                                "ap-apply-patch refused, with the reason" result)))
        (let ((before (length apls-test-messages)))
          (condition-case err
              (progn
                (eglot-code-actions (point-min) (point-max) "source.applyPatch" t)
                (when (plist-get case :applies)
                  (apls-test-report t "eglot-code-actions ran \"Apply patch\" (edit, then command)")))
            (error (apls-test-report nil "eglot-code-actions ran \"Apply patch\" (edit, then command)" err)))
          (unless (plist-get case :applies)
            (apls-test-report
             (apls-test-wait 5 (lambda ()
                                 (cl-some (lambda (m) (string-match-p "must be fixed first" m))
                                          (butlast apls-test-messages before))))
             "the unavailable action only explains why (apls.explain)" apls-test-messages)))))
    (dolist (f (plist-get case :creates))
      (apls-test-report (apls-test-wait 5 (lambda () (file-exists-p (expand-file-name f apls-test-root))))
                        (format "created %s" f)))
    ;; 6. save, as the user would
    (save-some-buffers t)
    (let ((left (cl-remove-if-not (lambda (b) (and (buffer-file-name b) (buffer-modified-p b)))
                                  (buffer-list))))
      (apls-test-report (null left) "every edited buffer saved" left))
    ;; 7. eglot's own shutdown: shutdown and exit (both with "params": null in
    ;; eglot 1.9) must be answered and make the server exit by itself, with 0
    ;; (eglot kills the process right after exit: wait for it first)
    (when server
      (let* ((proc (jsonrpc--process server))
             (kill (symbol-function 'jsonrpc-shutdown))
             status err)
        (cl-letf (((symbol-function 'jsonrpc-shutdown)
                   (lambda (conn &rest args)
                     (apls-test-wait 10 (lambda () (not (process-live-p proc))))
                     (setq status (list (process-status proc) (process-exit-status proc)))
                     (apply kill conn args))))
          (condition-case e (eglot-shutdown server) (error (setq err e))))
        (apls-test-report (null err) "eglot-shutdown: the server answered shutdown" err)
        (apls-test-report (equal status '(exit 0))
                          "the server exited by itself after shutdown and exit, with 0" status)))))

(let ((ok (condition-case err
              (progn (apls-test-run) t)
            (error (apls-test-report nil "the script ran to its end" err) nil))))
  (when ok (apls-test-report t "the script ran to its end"))
  ;; the server's stderr, for the log
  (dolist (b (buffer-list))
    (when (string-match-p "EGLOT.*\\(events\\|stderr\\)" (buffer-name b))
      (with-current-buffer b
        (write-region (point-min) (point-max)
                      (concat apls-test-out "." (if (string-match-p "stderr" (buffer-name b)) "stderr" "events"))
                      nil 'silent))))
  (kill-emacs 0))

;;; run.el ends here
