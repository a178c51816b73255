;;; apls-start.el --- put ap-mode on load-path, open .ap files in it -*- lexical-binding: t; -*-

;; Installed beside ap-mode.el by `meson install' and the Debian package
;; (which links it as /etc/emacs/site-start.d/50apls.el, so that Emacs runs it
;; at startup).  Elsewhere, load it from your init file:
;;   (load "PREFIX/share/emacs/site-lisp/apls/apls-start")
;; It finds ap-mode.el beside itself (through the link), so the installed
;; tree can be moved.  Nothing else is loaded until a .ap file is opened.

;;; Code:

(let ((dir (file-name-directory (file-truename (or load-file-name buffer-file-name)))))
  (when (file-exists-p (expand-file-name "ap-mode.el" dir))
    (add-to-list 'load-path (directory-file-name dir))
    (autoload 'ap-mode "ap-mode" "Major mode for .ap patches, served by apls." t)
    (add-to-list 'auto-mode-alist '("\\.ap\\'" . ap-mode))))

;;; apls-start.el ends here
