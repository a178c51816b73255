import math


def add(a, b):
    return a + b


def area(r):
    return 3.14 * r * r


def get_pi():
    return 3.14
