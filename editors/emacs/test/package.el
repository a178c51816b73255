;;; package.el --- ap-mode installed as a package, with eglot before or after -*- lexical-binding: t; -*-

;; Run by editors/run-tests.sh, each step in a fresh `emacs --batch -q':
;;   APLS_PKG_STEP=install      package-install-file on ap-mode.el into
;;                              APLS_ELPA (an empty package-user-dir)
;;   APLS_PKG_STEP=eglot-first  package-initialize, eglot loaded, then a .ap
;;                              file opened: ap-mode, apls in eglot-server-programs
;;   APLS_PKG_STEP=mode-first   package-initialize, a .ap file opened (ap-mode
;;                              autoloaded, eglot not loaded), then eglot: apls
;;                              registered, and M-x eglot connects to apls
;; from the "failing" fixture's workspace; APLS_OUT gets one "ok - ..." /
;; "not ok - ..." line each.  Debian's eglot 1.9 comes from its system
;; package folder (package-directory-list), as for a user.

;;; Code:

(require 'package)
(require 'cl-lib)

(defvar apls-pkg-step (getenv "APLS_PKG_STEP"))

(load (expand-file-name "report" (file-name-directory (or load-file-name buffer-file-name))) nil t)

(defun apls-pkg-report (ok what &optional detail)
  "Write one result line: OK, WHAT, and DETAIL when it failed."
  (apls-report-line (concat "emacs package " apls-pkg-step) ok what detail))

(setq package-user-dir (getenv "APLS_ELPA")
      package-archives nil)

(defun apls-pkg-registered ()
  "Whether eglot knows apls serves `ap-mode'."
  (let ((entry (cl-find-if (lambda (e) (or (eq (car-safe e) 'ap-mode)
                                           (and (listp (car-safe e)) (memq 'ap-mode (car e)))))
                           eglot-server-programs)))
    (and entry (equal (cdr entry) '("apls")))))

(defun apls-pkg-open ()
  "Visit the fixture's patch; say whether it is in `ap-mode'."
  (find-file (expand-file-name "broken.ap"))
  (apls-pkg-report (eq major-mode 'ap-mode) "a .ap file opens in ap-mode" major-mode))

(condition-case err
    (pcase apls-pkg-step
      ("install"
       (package-initialize)
       (package-install-file (getenv "APLS_MODE_EL"))
       (let ((desc (cadr (assq 'ap-mode package-alist))))
         (apls-pkg-report desc "package-install-file installs ap-mode" package-alist)
         (when desc
           (apls-pkg-report (equal (package-desc-version desc) (version-to-list (getenv "APLS_VERSION")))
                            "its version is apls's" (package-desc-version desc))
           (apls-pkg-report (file-exists-p (expand-file-name "ap-mode-autoloads.el" (package-desc-dir desc)))
                            "it has autoloads" (package-desc-dir desc)))))
      ("eglot-first"
       (package-initialize)
       (require 'eglot)
       (let* ((desc (cadr (assq 'eglot package-alist)))
              (v (and desc (package-version-join (package-desc-version desc)))))
         (apls-pkg-report (and v (version<= "1.9" v)) "eglot 1.9 or newer is loaded as a package"
                          (list v (locate-library "eglot"))))
       (apls-pkg-report (not (featurep 'ap-mode)) "ap-mode is not loaded before a patch is opened")
       (apls-pkg-open)
       (apls-pkg-report (apls-pkg-registered) "apls serves ap-mode in eglot-server-programs"
                        (seq-take eglot-server-programs 3)))
      ("mode-first"
       (package-initialize)
       (apls-pkg-open)
       (apls-pkg-report (not (featurep 'eglot)) "eglot is not loaded yet")
       (require 'eglot)
       (apls-pkg-report (apls-pkg-registered) "apls serves ap-mode once eglot loads"
                        (seq-take eglot-server-programs 3))
       ;; M-x eglot, as eglot guesses the server from eglot-server-programs
       (apply #'eglot (eglot--guess-contact))
       (apls-pkg-report (with-timeout (20 nil)
                          (while (not (eglot-current-server)) (accept-process-output nil 0.1))
                          (equal (plist-get (eglot--server-info (eglot-current-server)) :name) "apls"))
                        "M-x eglot connects to apls")
       (ignore-errors (eglot-shutdown (eglot-current-server))))
      (_ (apls-pkg-report nil "APLS_PKG_STEP is install, eglot-first or mode-first" apls-pkg-step)))
  (error (apls-pkg-report nil "the step ran to its end" err)))

(kill-emacs 0)
;;; package.el ends here
